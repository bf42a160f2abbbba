// newsdesk dashboard: a few small behaviours on server-rendered pages. No framework, no build.
'use strict';

/** "2025-02-13T06:00:00-05:00" for a datetime-local value, read in the browser's own time zone. */
function isoWithOffset(localValue) {
  const d = new Date(localValue);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

function showLocalTimes(root) {
  for (const t of root.querySelectorAll('time[data-local]')) {
    const d = new Date(t.getAttribute('datetime'));
    if (!Number.isNaN(d.getTime())) t.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }
}

const FINAL = new Set(['sent', 'cancelled', 'failed']);

/** Keeps every campaign row or panel on the page current until its campaign is finished. */
function followProgress() {
  const nodes = [...document.querySelectorAll('[data-campaign]')];
  if (!nodes.length) return;
  const live = () => nodes.filter((n) => !FINAL.has(n.dataset.status));
  let stopped = false;
  async function tick() {
    const ids = [...new Set(live().map((n) => n.dataset.campaign))];
    if (!ids.length || stopped) return;
    try {
      const res = await fetch(`/admin/campaigns/progress.json?ids=${encodeURIComponent(ids.join(','))}`, { headers: { accept: 'application/json' } });
      if (res.status === 401) return (stopped = true);
      if (res.ok) {
        for (const p of await res.json()) for (const n of nodes.filter((x) => x.dataset.campaign === p.id)) update(n, p);
      }
    } catch {
      // The server restarting or the network blinking: try again on the next tick.
    }
    setTimeout(tick, 1000);
  }
  setTimeout(tick, 500);
}

function update(node, p) {
  const was = node.dataset.status;
  node.dataset.status = p.status;
  const status = node.querySelector('[data-field=status]');
  if (status) {
    status.textContent = p.status;
    status.className = `status status-${p.status}`;
  }
  const bar = node.querySelector('[data-field=bar]');
  if (bar) {
    bar.max = Math.max(1, p.counts.total);
    bar.value = p.status === 'sent' && p.counts.total === 0 ? bar.max : p.done;
  }
  const pct = node.querySelector('[data-field=pct]');
  if (pct) pct.textContent = `${Math.floor(p.progress * 100)}%`;
  for (const el of node.querySelectorAll('[data-count]')) {
    const v = p.counts[el.dataset.count];
    if (typeof v === 'number') el.textContent = v.toLocaleString('en-US');
  }
  const rate = node.querySelector('[data-field=rate]');
  if (rate) rate.textContent = p.rate > 0 ? `${Math.round(p.rate).toLocaleString('en-US')}/s` : '–';
  const eta = node.querySelector('[data-field=eta]');
  if (eta) eta.textContent = p.noWorker ? p.noWorker : p.etaSeconds == null ? '–' : `${Math.ceil(p.etaSeconds)} s`;
  // A detail page shows actions and failures that depend on the status: redraw it once when it changes.
  if (node.hasAttribute('data-reload-on-change') && was !== p.status) location.reload();
}

function loadFilesIntoTextareas() {
  for (const input of document.querySelectorAll('input[type=file][data-load-into]')) {
    input.addEventListener('change', async () => {
      const file = input.files && input.files[0];
      const target = document.getElementById(input.dataset.loadInto);
      if (!file || !target) return;
      target.value = await file.text();
      // The text is in the form now; sending the file as well would be twice the same edition.
      input.value = '';
    });
  }
}

function sendTimeForms() {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const el of document.querySelectorAll('[data-tz]')) el.textContent = tz;
  for (const form of document.querySelectorAll('form[data-send-time]')) {
    const local = form.querySelector('input[name=local]');
    const at = form.querySelector('input[name=at]');
    const later = form.querySelector('input[name=when][value=at]');
    const sync = () => {
      at.value = later && later.checked && local.value ? isoWithOffset(local.value) : '';
    };
    local.addEventListener('input', () => {
      if (later) later.checked = true;
      sync();
    });
    form.addEventListener('change', sync);
    form.addEventListener('submit', sync);
    sync();
  }
}

function confirmations() {
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  }
}

/** The schedule form: choosing another newsletter puts its zone in an untouched time zone field. */
function scheduleZoneDefault() {
  const select = document.getElementById('schedule-newsletter');
  const tz = document.getElementById('schedule-tz');
  if (!select || !tz) return;
  let zoneOfChoice = select.selectedOptions[0]?.dataset.tz ?? '';
  select.addEventListener('change', () => {
    const next = select.selectedOptions[0]?.dataset.tz ?? '';
    if (tz.value === zoneOfChoice) tz.value = next;
    zoneOfChoice = next;
  });
}

document.addEventListener('DOMContentLoaded', () => {
  showLocalTimes(document);
  followProgress();
  loadFilesIntoTextareas();
  sendTimeForms();
  confirmations();
  scheduleZoneDefault();
});
