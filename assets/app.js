/* Clientside callbacks: theme switch, upload size check, account grid refresh.
   Defined here (not inline) so they run under a Content-Security-Policy without 'unsafe-eval'. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  slicer: {
    /* Bootstrap and AG Grid both read their colour mode from attributes on <html>. */
    /* The badge beside a slider follows the handle while it is dragged; the settings apply on release. */
    percentLabel: function (value) { return value == null ? window.dash_clientside.no_update : value + "%"; },
    bonusLabel: function (value) {
      return value == null ? window.dash_clientside.no_update : "+" + Math.round(value * 100) + "%";
    },
    atLeastLabel: function (value) { return value == null ? window.dash_clientside.no_update : "≥ " + value; },
    /* The printable summary is the Slicer page as the print stylesheet lays it out (style.css). */
    printPage: function (clicks) {
      window.print();
      return window.dash_clientside.no_update;
    },
    toggleOpen: function (_clicks, open) {
      return !open;
    },
    foldSidebar: function (_clicks, className) {
      return className.includes("sidebar-folded") ? className.replace(" sidebar-folded", "")
        : className + " sidebar-folded";
    },
    applyTheme: function (dark) {
      const mode = dark ? "dark" : "light";
      document.documentElement.setAttribute("data-bs-theme", mode);
      document.documentElement.setAttribute("data-ag-theme-mode", mode);
      return mode;
    },

    /* Refuse oversized files before they travel: the server would refuse them too, but the
       browser can say which file and by how much. */
    checkUpload: function (contents, names, limit) {
      const noUpdate = window.dash_clientside.no_update;
      if (!contents) { return [noUpdate, noUpdate, noUpdate]; }
      /* Forget the chosen files, so choosing files with the same names again (edited) counts. */
      const input = document.querySelector("#upload input[type=file]");
      if (input) { input.value = ""; }
      const megabyte = 1024 * 1024;
      const tooLarge = [];
      contents.forEach(function (content, i) {
        const base64 = content.slice(content.indexOf(",") + 1);
        const bytes = Math.floor(base64.length * 3 / 4);
        if (bytes > limit) {
          tooLarge.push(names[i] + " is " + (bytes / megabyte).toFixed(1) + " MB; the limit is " +
                        (limit / megabyte).toFixed(0) + " MB");
        }
      });
      if (contents.length > 2) {
        tooLarge.push(contents.length + " files chosen: upload two CSVs (Reps and Accounts) or one .xlsx workbook");
      }
      if (tooLarge.length) {
        return [noUpdate, {level: "danger", details: tooLarge,
                           title: "Upload refused. The data you had is still loaded."}, null];
      }
      return [{contents: contents, names: names}, noUpdate, null];
    },

    /* The account grid fetches rows from the server; new settings mean new rows. */
    refreshInfiniteGrid: function () {  // (…what changed, gridId): the grid's id comes last
      const gridId = arguments[arguments.length - 1];
      if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
        window.dash_ag_grid.getApiAsync(gridId).then(function (api) { api.purgeInfiniteCache(); });
      }
      return window.dash_clientside.no_update;
    }
  }
});

/* Audit Trail: ← → step through, Home / End jump to the first / last step (not while typing). */
document.addEventListener("keydown", function (event) {
  if (window.location.pathname.replace(/\/$/, "") !== "/audit") { return; }
  const typing = event.target.closest("input, textarea, select, [contenteditable], .ag-root-wrapper");
  if (typing || event.altKey || event.ctrlKey || event.metaKey) { return; }
  const buttons = {ArrowLeft: "audit-prev", ArrowRight: "audit-next", Home: "audit-first", End: "audit-last"};
  const button = buttons[event.key] && document.getElementById(buttons[event.key]);
  if (button) {
    event.preventDefault();
    button.click();
  }
});
