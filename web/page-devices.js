// SPDX-License-Identifier: MIT
// page-devices.js: the device list (REST GET /v1/devices joined with the admin API's
// connection times), filter and search, add, rename, tag, delete.
import { h, field, table, section, button, act, fmtTime, toast, download } from './ui.js';
import { admin, rest, enc, live } from './api.js';
import { onLeave } from './app.js';

export function connected(a) {
  return a && a.lastConnectAt > 0 && a.lastConnectAt >= a.lastDisconnectAt;
}

function fwOf(d) {
  const rep = (d.state && d.state.reported) || {};
  const info = (rep.device && rep.device.deviceInfo) || {};
  const parts = [];
  if (info.appVersion) parts.push(`app ${info.appVersion}`);
  if (info.modemFirmware) parts.push(info.modemFirmware);
  return parts.join(' · ') || '—';
}

export default async function devices() {
  const [list, adminList] = await Promise.all([rest('GET', '/devices?pageLimit=100'), admin('GET', '/devices')]);
  const byId = new Map(adminList.items.map((a) => [a.id, a]));
  const search = h('input', { type: 'search', placeholder: 'ID, name or tag' });
  const stateSel = h('select', h('option', { value: '' }, 'any'), h('option', { value: 'on' }, 'connected'), h('option', { value: 'off' }, 'disconnected'));
  const tagSel = h('select', h('option', { value: '' }, 'any'));
  const tags = new Set(list.items.flatMap((d) => d.tags || []));
  for (const t of [...tags].sort()) tagSel.append(h('option', { value: t }, t));
  const holder = h('div#device-table');

  function render() {
    const q = search.value.trim().toLowerCase();
    const rows = list.items.filter((d) => {
      const a = byId.get(d.id);
      if (q && !`${d.id} ${d.name} ${(d.tags || []).join(' ')}`.toLowerCase().includes(q)) return false;
      if (stateSel.value && (stateSel.value === 'on') !== connected(a)) return false;
      if (tagSel.value && !(d.tags || []).includes(tagSel.value)) return false;
      return true;
    });
    holder.replaceChildren(table(`${rows.length} of ${list.items.length} devices`, [
      { label: 'Device', cell: (d) => h('a', { href: `#/devices/${enc(d.id)}` }, d.id) },
      { label: 'Name', cell: (d) => d.name || '' },
      { label: 'State', cell: (d) => (connected(byId.get(d.id)) ? h('span.badge.ok', 'connected') : h('span.badge', 'disconnected')) },
      { label: 'Generation', cell: (d) => d.subType || d.type || '—' },
      { label: 'Firmware', cell: (d) => fwOf(d) },
      { label: 'Last seen', cell: (d) => { const a = byId.get(d.id); return connected(a) ? 'now' : fmtTime(a && Math.max(a.lastConnectAt, a.lastDisconnectAt)); } },
      { label: 'Tags', cell: (d) => (d.tags || []).map((t) => h('span.tag', t)) },
      { label: 'Actions', cell: (d) => h('div.actions',
        button('Rename', () => rename(d), '.small'),
        button('Tags', () => retag(d), '.small'),
        button('Delete', () => remove(d), '.small.danger')) },
    ], rows, { empty: 'No device matches.' }));
  }

  async function reload() {
    const [l, a] = await Promise.all([rest('GET', '/devices?pageLimit=100'), admin('GET', '/devices')]);
    list.items = l.items;
    byId.clear();
    for (const x of a.items) byId.set(x.id, x);
    render();
  }
  async function rename(d) {
    const name = prompt(`New name for ${d.id}`, d.name || '');
    if (name == null) return;
    await act(async () => { await rest('PUT', `/devices/${enc(d.id)}/name`, JSON.stringify(name), 'application/json'); await reload(); }, 'Renamed');
  }
  async function retag(d) {
    const t = prompt(`Tags for ${d.id} (comma separated)`, (d.tags || []).join(', '));
    if (t == null) return;
    const tagsNew = t.split(',').map((x) => x.trim()).filter(Boolean);
    await act(async () => { await rest('PUT', `/devices/${enc(d.id)}/tags`, tagsNew); await reload(); }, 'Tags saved');
  }
  async function remove(d) {
    if (!confirm(`Delete ${d.id}? Its shadow, messages and certificate go too.`)) return;
    await act(async () => { await admin('DELETE', `/devices/${enc(d.id)}`); await reload(); }, 'Deleted');
  }

  for (const el of [search, stateSel, tagSel]) el.addEventListener('input', render);
  render();

  // add a device: lab-CA issued, or with its own certificate (and the CA that signed it)
  const idIn = h('input', { required: true, pattern: '[A-Za-z0-9:_\\-]{1,128}', autocomplete: 'off' });
  const nameIn = h('input', { autocomplete: 'off' });
  const tagsIn = h('input', { autocomplete: 'off', placeholder: 'lab, dk' });
  const certIn = h('textarea', { rows: 3, placeholder: '-----BEGIN CERTIFICATE-----' });
  const caIn = h('textarea', { rows: 3, placeholder: 'only for a certificate not from the lab CA' });
  const out = h('div#add-result');
  const form = h('form.grid', {
    on: {
      submit: (e) => {
        e.preventDefault();
        act(async () => {
          const body = { id: idIn.value.trim() };
          if (nameIn.value.trim()) body.name = nameIn.value.trim();
          const tg = tagsIn.value.split(',').map((x) => x.trim()).filter(Boolean);
          if (tg.length) body.tags = tg;
          if (certIn.value.trim()) body.certificate = certIn.value.trim();
          if (caIn.value.trim()) body.caCertificate = caIn.value.trim();
          const r = await admin('POST', '/devices', body);
          out.replaceChildren(h('p', `Device ${r.id || body.id} added.`),
            r.privateKey ? h('p', 'Its key and certificate, issued by the lab CA (the key is not kept):',
              ' ', button('Download credentials', () => download(`${body.id}.json`, JSON.stringify(r, null, 2)), '.small')) : null);
          form.reset();
          await reload();
          toast('Device added');
        });
      },
    },
  }, field('Device ID', idIn), field('Name', nameIn), field('Tags (comma separated)', tagsIn),
  field('Certificate (PEM, optional)', certIn), field('CA certificate (PEM, optional)', caIn),
  h('div.field', h('button', { type: 'submit' }, 'Add device')));

  // connection changes arrive live
  const stop = live({ kind: 'mqtt.', tail: 1 }, (rec) => {
    if (rec.kind === 'mqtt.connect' || rec.kind === 'mqtt.disconnect') reload().catch(() => {});
  });
  onLeave(stop);

  return h('div', h('h1', 'Devices'),
    section('Devices',
      h('div.filters', field('Search', search), field('State', stateSel), field('Tag', tagSel)),
      holder),
    section('Add a device', form, out));
}
