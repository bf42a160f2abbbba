// newsdesk edition editor (README.md, "The editor's day"): list items added, removed and
// reordered; a live preview and autosave as the editor types; messages beside their fields;
// image upload next to every image address. The page works without it, one button at a time.
'use strict';

const PREVIEW_DELAY_MS = 400;
const AUTOSAVE_DELAY_MS = 1500;

/** The id of a path's control, as the server names it (edition.views.ts, fieldId). */
function fieldId(path) {
  return 'f-' + path.replace(/[^A-Za-z0-9_]+/g, '-').replace(/-$/, '');
}

function parentPath(path) {
  const m = /^(.*?)(?:\.[^.[\]]+|\[\d+\])$/.exec(path);
  return m ? m[1] : '';
}

function withBase(doc) {
  return /<head[^>]*>/i.test(doc) ? doc.replace(/<head[^>]*>/i, (h) => h + '<base target="_blank">') : '<base target="_blank">' + doc;
}

function clipText(bytes, max) {
  return (bytes / 1024).toFixed(1) + " KB of Gmail's " + max / 1024 + ' KB (' + Math.round((100 * bytes) / max) + ' %)';
}

function debounce(fn, ms) {
  let timer = null;
  const run = () => {
    timer = null;
    return fn();
  };
  const call = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  call.pending = () => timer !== null;
  call.flush = () => {
    if (!timer) return Promise.resolve();
    clearTimeout(timer);
    return run();
  };
  return call;
}

function setup(form) {
  const csrf = form.querySelector('input[name=_csrf]').value;
  const idField = form.querySelector('[data-edition-id]');
  const status = document.querySelector('[data-autosave-status]');
  const previewState = document.querySelector('[data-preview-state]');
  const body = () => new URLSearchParams(new FormData(form));

  // Lists: add, remove and reorder items; names and ids are renumbered so the paths stay true.
  const ATTRS = ['name', 'id', 'for', 'data-path', 'data-msgs-for', 'aria-describedby', 'data-upload-for', 'data-upload-status'];
  function renumber(list) {
    const path = list.dataset.list;
    const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const items = [...list.querySelector('[data-items]').children];
    items.forEach((item, i) => {
      const re = new RegExp('(^|[^A-Za-z0-9_])' + escaped + '(\\[|-)\\d+', 'g');
      for (const el of [item, ...item.querySelectorAll('*')]) {
        for (const a of ATTRS) {
          const v = el.getAttribute(a);
          if (v !== null) el.setAttribute(a, v.replace(re, (_, pre, sep) => pre + path + sep + i));
        }
      }
      const n = item.querySelector('[data-n]');
      if (n) n.textContent = String(i + 1);
      for (const b of item.querySelectorAll(':scope > .item-tools button')) {
        b.setAttribute('aria-label', b.getAttribute('aria-label').replace(/^((?:Move|Remove) \S+) ?\d*/, '$1 ' + (i + 1)));
      }
      item.querySelector('[data-move="-1"]').disabled = i === 0;
      item.querySelector('[data-move="1"]').disabled = i === items.length - 1;
      item.querySelector('[data-remove]').disabled = items.length <= Number(list.dataset.min || 0);
    });
    const add = list.querySelector(':scope > [data-add]');
    if (add) add.disabled = list.dataset.max !== '' && items.length >= Number(list.dataset.max);
  }
  for (const list of form.querySelectorAll('[data-list]')) {
    renumber(list);
    list.addEventListener('click', (e) => {
      const button = e.target.closest('button');
      if (!button || button.closest('[data-list]') !== list) return;
      const items = list.querySelector('[data-items]');
      const item = button.closest('[data-item]');
      if (button.matches('[data-add]')) {
        const template = list.querySelector(':scope > template[data-item-template]');
        const holder = document.createElement('div');
        holder.innerHTML = template.innerHTML.replaceAll('__i__', String(items.children.length));
        const added = holder.firstElementChild;
        items.appendChild(added);
        renumber(list);
        const first = added.querySelector('input, textarea, select');
        if (first) first.focus();
      } else if (button.matches('[data-remove]') && item) {
        item.remove();
        renumber(list);
      } else if (button.matches('[data-move]') && item) {
        const step = Number(button.dataset.move);
        const other = step < 0 ? item.previousElementSibling : item.nextElementSibling;
        if (!other) return;
        if (step < 0) items.insertBefore(item, other);
        else items.insertBefore(other, item);
        renumber(list);
        button.focus();
      } else {
        return;
      }
      changed();
    });
  }

  // Messages beside their fields: each at its own place, else the nearest enclosing one, else the top.
  function showMessages(messages) {
    for (const ul of document.querySelectorAll('[data-msgs-for]')) ul.replaceChildren();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const m of messages) {
      let at = m.path;
      let ul = document.querySelector('[data-msgs-for="' + at + '"]');
      while (!ul && at) {
        at = parentPath(at);
        ul = document.querySelector('[data-msgs-for="' + at + '"]');
      }
      if (!ul) continue;
      const li = document.createElement('li');
      li.className = m.level;
      li.textContent = at === '' && m.path ? m.path + ': ' + m.message : m.message;
      ul.appendChild(li);
      if (m.level === 'error') {
        const control = document.getElementById(fieldId(at));
        if (control && at) control.setAttribute('aria-invalid', 'true');
      }
    }
    const general = document.querySelector('[data-msgs-general]');
    if (general) general.hidden = !general.querySelector('li');
  }

  // The live preview: composed on the server by the same path as a campaign.
  const light = document.querySelector('[data-frame=light]');
  const dark = document.querySelector('[data-frame=dark]');
  const text = document.querySelector('[data-frame=text]');
  const meter = document.querySelector('[data-clip-meter]');
  const meterText = document.querySelector('[data-clip-text]');
  let previewSeq = 0;
  async function preview() {
    const seq = ++previewSeq;
    previewState.textContent = 'Updating the preview…';
    let res;
    try {
      res = await fetch(form.dataset.previewUrl, { method: 'POST', body: body(), headers: { accept: 'application/json', 'x-csrf-token': csrf } });
    } catch {
      if (seq === previewSeq) previewState.textContent = 'The preview could not reach the server; it updates when you type again.';
      return;
    }
    if (seq !== previewSeq) return; // a newer preview is on its way
    if (!res.ok) {
      previewState.textContent = res.status === 403 ? 'This page has expired: reload it.' : 'The preview failed (' + res.status + ').';
      return;
    }
    const p = await res.json();
    if (seq !== previewSeq) return;
    showMessages(p.messages);
    if (!p.ok) {
      const n = p.messages.filter((m) => m.level === 'error').length;
      previewState.textContent = 'Not updated: ' + n + (n === 1 ? ' problem' : ' problems') + ' to fix first (shown beside the fields).';
      return;
    }
    light.srcdoc = withBase(p.html);
    dark.srcdoc = withBase(p.dark);
    text.textContent = p.text;
    meter.value = p.htmlBytes;
    meterText.textContent = clipText(p.htmlBytes, Number(meter.max));
    previewState.textContent = 'The sample reader\'s copy, up to date.';
  }

  // Autosave: the next revision of the stored draft, once the edition composes.
  let saving = null;
  let again = false;
  async function save() {
    if (saving) {
      again = true;
      return saving;
    }
    saving = (async () => {
      status.textContent = 'Saving…';
      try {
        const res = await fetch(form.dataset.autosaveUrl, { method: 'POST', body: body(), headers: { accept: 'application/json', 'x-csrf-token': csrf } });
        const r = await res.json().catch(() => ({ saved: false, messages: [] }));
        if (r.saved) {
          idField.value = r.id;
          const at = new Date(r.savedAt).toLocaleTimeString(undefined, { timeStyle: 'short' });
          status.textContent = (r.changed ? 'Saved' : 'Up to date') + ': revision ' + r.revision + ' (' + r.state + '), ' + at;
          status.dataset.revision = String(r.revision);
          const badge = document.querySelector('[data-field=state]');
          if (badge) {
            badge.textContent = r.state;
            badge.className = 'status status-' + r.state;
          }
          const here = '/admin/editions/' + encodeURIComponent(r.id);
          if (location.pathname !== here) history.replaceState(null, '', here);
          // A change to an approved edition makes it a draft again: its buttons no longer apply.
          const actions = document.querySelector('[data-edition-actions]');
          if (actions && actions.dataset.state !== r.state) {
            const p = document.createElement('p');
            const a = document.createElement('a');
            a.href = here;
            a.textContent = 'Reload the page';
            p.append('The edition is a ' + r.state + ' again (revision ' + r.revision + '). ', a, ' to approve it.');
            actions.replaceChildren(p);
            actions.dataset.state = r.state;
          }
          const title = document.querySelector('main h1');
          if (title && title.textContent === 'New edition') title.textContent = 'Edition ' + r.id;
          const link = document.querySelector('[data-stored-link]');
          if (link) {
            link.querySelector('a').href = here;
            link.hidden = false;
          }
        } else {
          const errors = (r.messages || []).filter((m) => m.level === 'error');
          const general = errors.find((m) => !m.path);
          status.textContent =
            res.status === 403
              ? 'Not saved: this page has expired, reload it.'
              : general
                ? 'Not saved: ' + general.message
                : 'Not saved yet: ' + (errors.length ? errors.length + (errors.length === 1 ? ' problem' : ' problems') + ' to fix' : 'the server said ' + res.status) + '.';
        }
      } catch {
        status.textContent = 'Not saved: the server could not be reached; it is tried again when you type.';
      }
    })();
    await saving;
    saving = null;
    if (again) {
      again = false;
      return save();
    }
  }

  // A read-only sign-in sees the page as rendered: the server takes none of its posts.
  if (!form.dataset.previewUrl) return;
  const schedulePreview = debounce(preview, PREVIEW_DELAY_MS);
  const scheduleSave = debounce(save, AUTOSAVE_DELAY_MS);
  function changed() {
    if (!form.dataset.previewUrl) return;
    schedulePreview();
    scheduleSave();
  }
  form.addEventListener('input', (e) => {
    if (e.target.matches('input[type=file]')) return;
    changed();
  });

  // Leaving the page (a link, closing the tab) with a save still waiting: send it on the way out.
  window.addEventListener('pagehide', () => {
    if (scheduleSave.pending()) navigator.sendBeacon(form.dataset.autosaveUrl, body());
  });

  // Anything that leaves the page with the stored edition (approve) waits for the last save.
  for (const other of document.querySelectorAll('form[data-flush-autosave]')) {
    other.addEventListener('submit', async (e) => {
      if (!scheduleSave.pending() && !saving) return;
      e.preventDefault();
      await scheduleSave.flush();
      if (saving) await saving;
      other.submit();
    });
  }

  // Image upload next to each image address: the stored image's URL goes into the field.
  for (const input of form.querySelectorAll('input[type=file][data-upload-for]')) {
    input.addEventListener('change', async () => {
      const file = input.files && input.files[0];
      const target = document.getElementById(input.dataset.uploadFor);
      const say = document.querySelector('[data-upload-status="' + input.dataset.uploadFor + '"]');
      if (!file || !target) return;
      const data = new FormData();
      data.append('file', file);
      say.textContent = 'Uploading ' + file.name + '…';
      try {
        const res = await fetch(form.dataset.uploadUrl, { method: 'POST', body: data, headers: { accept: 'application/json', 'x-csrf-token': csrf } });
        const r = await res.json().catch(() => ({}));
        if (!res.ok || !r.url) {
          say.textContent = 'Not uploaded: ' + (r.error || 'the server said ' + res.status);
          return;
        }
        target.value = r.url;
        say.textContent = 'Uploaded' + (r.width ? ' (' + r.width + ' × ' + r.height + ' px)' : '') + '.';
        input.value = '';
        changed();
        const alt = document.getElementById(input.dataset.uploadFor.replace(/-src$/, '-alt'));
        if (alt && !alt.value) alt.focus();
      } catch {
        say.textContent = 'Not uploaded: the server could not be reached.';
      }
    });
  }
}

/** Which preview shows: desktop, phone, dark (at the last width chosen) or the text part. */
function previewViews() {
  const views = document.querySelector('[data-preview-views]');
  if (!views) return;
  const light = document.querySelector('[data-frame=light]');
  const dark = document.querySelector('[data-frame=dark]');
  const text = document.querySelector('[data-frame=text]');
  let width = 'w600';
  views.addEventListener('change', (e) => {
    const v = e.target.value;
    if (v === 'w600' || v === 'w375') width = v;
    for (const f of [light, dark]) f.className = width;
    light.hidden = !(v === 'w600' || v === 'w375');
    dark.hidden = v !== 'dark';
    text.hidden = v !== 'text';
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const form = document.querySelector('form[data-edition-form]');
  if (form) setup(form);
  previewViews();
});
