"""`python -m app`: the dashboard for one user on http://127.0.0.1:8050 (PORT to change)."""
import os

from . import app

app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")),
        debug=app.server.debug)
