/**
 * The panel's script, run inside the webview (a browser, not Node: this
 * project's TypeScript has no DOM types, so it is kept as plain
 * JavaScript text). It only moves the extension's HTML into the page,
 * keeps focus and open sections across updates, filters, and turns clicks
 * and the answer dialog into typed messages (protocol/review.ts
 * `WebviewToExtension`). Texts it puts into the page go through
 * `textContent` or `value`, never `innerHTML`; the one `innerHTML` is the
 * extension's escaped rendering.
 */
export const REVIEW_SCRIPT = String.raw`
(function () {
  'use strict';
  var vscode = acquireVsCodeApi();
  var state = vscode.getState() || { filter: 'all', open: [] };
  var main = document.getElementById('checklist');
  var notice = document.getElementById('notice');
  var dialog = document.getElementById('answer-dialog');
  var form = document.getElementById('answer-form');
  var editing = null;

  function save() { vscode.setState(state); }

  function applyFilter() {
    var items = main.querySelectorAll('article.item');
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      var keep = state.filter === 'all'
        || (state.filter === 'required' && it.dataset.required === 'true')
        || it.dataset.status === state.filter;
      it.hidden = !keep;
      if (keep) shown++;
    }
    var groups = main.querySelectorAll('section.group');
    for (var g = 0; g < groups.length; g++) groups[g].hidden = groups[g].querySelectorAll('article.item:not([hidden])').length === 0;
    var buttons = document.querySelectorAll('.filters button');
    for (var b = 0; b < buttons.length; b++) buttons[b].setAttribute('aria-pressed', String(buttons[b].dataset.filter === state.filter));
    var count = document.getElementById('filter-count');
    if (count) count.textContent = shown + (shown === 1 ? ' item shown' : ' items shown');
  }

  function restoreOpen() {
    var open = new Set(state.open);
    var details = main.querySelectorAll('details[data-key]');
    for (var i = 0; i < details.length; i++) details[i].open = open.has(details[i].dataset.key);
  }

  function render(html) {
    var active = document.activeElement;
    var focusKey = active && main.contains(active) ? active.getAttribute('data-focus') : null;
    var scroll = window.scrollY;
    main.innerHTML = html;
    restoreOpen();
    applyFilter();
    window.scrollTo(0, scroll);
    if (focusKey) {
      var all = main.querySelectorAll('[data-focus]');
      for (var i = 0; i < all.length; i++) if (all[i].getAttribute('data-focus') === focusKey) { all[i].focus(); break; }
    }
  }

  function say(message, level) {
    notice.className = level === 'error' ? 'error' : '';
    notice.setAttribute('role', level === 'error' ? 'alert' : 'status');
    notice.textContent = message;
  }

  function itemElement(id) {
    var items = main.querySelectorAll('article.item');
    for (var i = 0; i < items.length; i++) if (items[i].dataset.item === id) return items[i];
    return null;
  }

  function openDialog(id) {
    var item = itemElement(id);
    var root = document.getElementById('review-root');
    if (!item || !root || root.dataset.editable !== 'true') return;
    editing = id;
    document.getElementById('answer-question').textContent = item.dataset.question || '';
    var status = item.dataset.answerStatus || (item.dataset.status === 'open' ? 'open' : item.dataset.status);
    var radios = form.querySelectorAll('input[name="status"]');
    for (var i = 0; i < radios.length; i++) radios[i].checked = radios[i].value === status;
    document.getElementById('answer-note').value = item.dataset.answerNote || '';
    document.getElementById('answer-by').value = item.dataset.answerBy || root.dataset.reviewer || '';
    document.getElementById('answer-clear').hidden = !item.dataset.answerStatus;
    dialog.showModal();
    var checked = form.querySelector('input[name="status"]:checked') || radios[0];
    checked.focus();
  }

  function closeDialog() {
    var id = editing;
    editing = null;
    if (dialog.open) dialog.close();
    var back = id ? main.querySelector('[data-answer="' + CSS.escape(id) + '"]') : null;
    if (back) back.focus();
  }

  document.addEventListener('click', function (event) {
    var target = event.target.closest('button, a');
    if (!target) return;
    if (target.classList.contains('place')) {
      vscode.postMessage({ type: 'openPlace', placeId: Number(target.dataset.place) });
    } else if (target.dataset.answer) {
      openDialog(target.dataset.answer);
    } else if (target.dataset.filter) {
      state.filter = target.dataset.filter; save(); applyFilter();
    } else if (target.id === 'refresh') {
      say('Refreshing…', 'info');
      vscode.postMessage({ type: 'refresh' });
    } else if (target.classList.contains('open-file')) {
      vscode.postMessage({ type: 'openReviewFile' });
    } else if (target.dataset.group) {
      event.preventDefault();
      var heading = document.getElementById(target.dataset.group + '-title');
      if (heading) { heading.scrollIntoView({ block: 'start' }); heading.focus(); }
    } else if (target.id === 'answer-clear') {
      if (editing) vscode.postMessage({ type: 'clearAnswer', itemId: editing });
      closeDialog();
    } else if (target.id === 'answer-cancel') {
      closeDialog();
    }
  });

  main.addEventListener('toggle', function (event) {
    var d = event.target;
    if (!d.dataset || !d.dataset.key) return;
    var open = new Set(state.open);
    if (d.open) open.add(d.dataset.key); else open.delete(d.dataset.key);
    state.open = Array.from(open); save();
  }, true);

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var checked = form.querySelector('input[name="status"]:checked');
    if (!editing || !checked) return;
    vscode.postMessage({
      type: 'setAnswer',
      itemId: editing,
      status: checked.value,
      note: document.getElementById('answer-note').value,
      by: document.getElementById('answer-by').value,
    });
    say('Saving…', 'info');
    closeDialog();
  });
  dialog.addEventListener('cancel', function () { editing = null; });

  // Alt+Down and Alt+Up move between items, for reading the checklist from the keyboard.
  document.addEventListener('keydown', function (event) {
    if (!event.altKey || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') || dialog.open) return;
    var items = Array.prototype.filter.call(main.querySelectorAll('article.item'), function (it) { return !it.hidden; });
    if (items.length === 0) return;
    var current = document.activeElement && document.activeElement.closest ? document.activeElement.closest('article.item') : null;
    var index = items.indexOf(current);
    var next = event.key === 'ArrowDown' ? Math.min(items.length - 1, index + 1) : Math.max(0, index - 1);
    items[next].focus();
    event.preventDefault();
  });

  window.addEventListener('message', function (event) {
    var m = event.data;
    if (!m || typeof m.type !== 'string') return;
    if (m.type === 'render') { render(m.html); if (notice.textContent === 'Saving…' || notice.textContent === 'Refreshing…') say('Up to date.', 'info'); }
    else if (m.type === 'notice') say(m.message, m.level);
    else if (m.type === 'focusItem') {
      if (state.filter !== 'all') { state.filter = 'all'; save(); applyFilter(); }
      var item = itemElement(m.itemId);
      if (item) { item.scrollIntoView({ block: 'start' }); item.focus(); }
    }
  });

  restoreOpen();
  applyFilter();
  vscode.postMessage({ type: 'ready' });
})();
`;
