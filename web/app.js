// SPDX-License-Identifier: MIT
// app.js: the portal shell: hash routes to pages, the admin token prompt, cleanup of live views
// when the page changes.
import { h, field } from './ui.js';
import { setToken } from './api.js';
import account from './page-account.js';
import devices from './page-devices.js';
import device from './page-device.js';
import firmware from './page-firmware.js';
import locationPage from './page-location.js';
import lab from './page-lab.js';

const routes = [
  [/^#\/account$/, account, 'Account'],
  [/^#\/devices$/, devices, 'Devices'],
  [/^#\/devices\/([^/]+)$/, device, 'Device'],
  [/^#\/firmware$/, firmware, 'Firmware'],
  [/^#\/location$/, locationPage, 'Location'],
  [/^#\/lab$/, lab, 'Lab'],
];

let cleanups = [];

// Pages register what to stop (live streams, timers) when the user leaves them.
export function onLeave(fn) {
  cleanups.push(fn);
}

async function show() {
  for (const fn of cleanups) fn();
  cleanups = [];
  const hash = location.hash || '#/devices';
  const main = document.getElementById('main');
  for (const a of document.querySelectorAll('#nav a')) {
    const here = hash === a.getAttribute('href') || hash.startsWith(`${a.getAttribute('href')}/`);
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [re, page, title] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    document.title = `${title} · nrfcloud-mock`;
    main.replaceChildren(h('p', 'Loading…'));
    try {
      const view = await page(...m.slice(1).map(decodeURIComponent));
      main.replaceChildren(view);
      main.dataset.page = title.toLowerCase();
    } catch (e) {
      if (e.status !== 401) main.replaceChildren(h('p.error', { role: 'alert' }, `Cannot show this page: ${e.message}`));
    }
    return;
  }
  location.hash = '#/devices';
}

function askToken() {
  if (document.querySelector('#main form.login')) return; // already asking
  const input = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form.card.login', {
    on: {
      submit: (e) => { e.preventDefault(); setToken(input.value.trim()); show(); },
    },
  }, h('h1', 'Admin token'),
  h('p', 'This server was started with --admin-token. Enter it to use the portal (kept for this tab only).'),
  field('Admin token', input), h('button', { type: 'submit' }, 'Sign in'));
  document.getElementById('main').replaceChildren(form);
  input.focus();
}

window.addEventListener('ncm-unauthorized', () => {
  for (const fn of cleanups) fn();
  cleanups = [];
  askToken();
});
window.addEventListener('hashchange', show);
show();
