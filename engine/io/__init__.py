"""Data in and out (DATA.md): reading CSV and Excel files as CRMs export them, validating them
into a Dataset, exporting results, templates, and the seeded generator of demo data."""
