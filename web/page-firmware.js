// SPDX-License-Identifier: MIT
// page-firmware.js: bundles (upload a ZIP, delete) and FOTA jobs (create for devices or tags,
// apply, cancel, delete) with per-device execution progress, refreshed live from the journal.
import { h, field, table, section, button, act, fmtTime, fmtBytes } from './ui.js';
import { rest, enc, live } from './api.js';
import { onLeave } from './app.js';
import { lastSeq } from './page-device.js';

export default async function firmware() {
  const bundlesBox = h('div#bundles');
  const jobsBox = h('div#jobs');
  const bundleSel = h('select', { required: true });
  let bundles = [];

  async function loadBundles() {
    bundles = (await rest('GET', '/firmwares?pageLimit=100')).items || [];
    bundlesBox.replaceChildren(table(`${bundles.length} bundles`, [
      { label: 'Bundle', cell: (b) => h('code', b.bundleId) },
      { label: 'Type', cell: (b) => b.type },
      { label: 'Version', cell: (b) => b.version },
      { label: 'Name', cell: (b) => b.name || '' },
      { label: 'Size', cell: (b) => fmtBytes(b.size || 0) },
      { label: 'Modified', cell: (b) => fmtTime(b.lastModified) },
      { label: 'Actions', cell: (b) => button('Delete', () => {
        if (confirm(`Delete bundle ${b.bundleId}?`)) act(async () => { await rest('DELETE', `/firmwares/${enc(b.bundleId)}`); await loadBundles(); }, 'Bundle deleted');
      }, '.small.danger') },
    ], bundles, { empty: 'No bundles.' }));
    bundleSel.replaceChildren(...bundles.map((b) => h('option', { value: b.bundleId }, `${b.type} ${b.version}`)));
  }

  async function loadJobs() {
    const jobs = (await rest('GET', '/fota-jobs?pageLimit=100')).items || [];
    const statuses = await Promise.all(jobs.map((j) => rest('GET', `/fota-job-execution-statuses/${enc(j.jobId)}`).catch(() => ({ items: [] }))));
    jobsBox.replaceChildren(...(jobs.length ? jobs.map((j, i) => {
      const ex = statuses[i].items || [];
      const done = ex.filter((x) => ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'CANCELLED', 'DOWNLOAD_FAILED'].includes(x.status)).length;
      const progress = h('progress', { max: String(Math.max(ex.length, 1)), value: String(done), 'aria-label': `Job ${j.jobId} progress` });
      return h('article.job', { 'data-job': j.jobId },
        h('h3', j.name || j.jobId, ' ', h('span.badge', j.status)),
        h('p', h('code', j.jobId), ` · ${j.firmware ? `${j.firmware.firmwareType || ''} ${j.firmware.version || ''}` : ''} · created ${fmtTime(j.createdAt)}`),
        h('p', progress, ` ${done} of ${ex.length} devices finished`),
        table(null, [
          { label: 'Device', cell: (x) => h('a', { href: `#/devices/${enc(x.deviceId)}` }, x.deviceId) },
          { label: 'Status', cell: (x) => h('span.status', x.status) },
          { label: 'Updated', cell: (x) => fmtTime(x.lastUpdatedAt || x.updatedAt) }], ex, { empty: 'No executions yet.' }),
        h('div.actions',
          button('Apply', () => act(async () => { await rest('POST', `/fota-jobs/${enc(j.jobId)}/apply`); await loadJobs(); }, 'Job applied'), '.small'),
          button('Cancel', () => act(async () => { await rest('PUT', `/fota-jobs/${enc(j.jobId)}/cancel`); await loadJobs(); }, 'Job cancelled'), '.small'),
          button('Delete', () => { if (confirm(`Delete job ${j.jobId}?`)) act(async () => { await rest('DELETE', `/fota-jobs/${enc(j.jobId)}`); await loadJobs(); }, 'Job deleted'); }, '.small.danger')));
    }) : [h('p', 'No FOTA jobs.')]));
  }

  const fileIn = h('input', { type: 'file', accept: '.zip,application/zip', required: true });
  const upload = h('form.grid#upload', {
    on: {
      submit: (e) => {
        e.preventDefault();
        const f = fileIn.files[0];
        if (!f) return;
        act(async () => {
          await rest('POST', '/firmwares', await f.arrayBuffer(), 'application/zip');
          upload.reset();
          await loadBundles();
        }, 'Bundle uploaded');
      },
    },
  }, field('Firmware ZIP (manifest.json and image)', fileIn), h('div.field', h('button', { type: 'submit' }, 'Upload')));

  const devicesIn = h('input', { placeholder: 'nrf-352656100000001, …', autocomplete: 'off' });
  const tagsIn = h('input', { placeholder: 'lab', autocomplete: 'off' });
  const nameIn = h('input', { autocomplete: 'off' });
  const autoApply = h('input', { type: 'checkbox' });
  const create = h('form.grid#create-job', {
    on: {
      submit: (e) => {
        e.preventDefault();
        const split = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
        const body = { bundleId: bundleSel.value, deviceIds: split(devicesIn.value), tags: split(tagsIn.value), autoApply: autoApply.checked };
        if (nameIn.value.trim()) body.name = nameIn.value.trim();
        act(async () => { await rest('POST', '/fota-jobs', body); create.reset(); await loadJobs(); }, 'Job created');
      },
    },
  }, field('Bundle', bundleSel), field('Device IDs (comma separated)', devicesIn), field('Tags (comma separated)', tagsIn),
  field('Job name', nameIn), h('div.field.check', autoApply, h('label', { for: autoApply.id || (autoApply.id = 'auto-apply') }, 'Apply at once')),
  h('div.field', h('button', { type: 'submit' }, 'Create job')));

  await Promise.all([loadBundles(), loadJobs()]);
  // progress: any FOTA traffic (job topics, firmware downloads, REST updates) reloads the jobs
  let timer = null;
  const stop = live({ after: await lastSeq() }, (rec) => {
    if (!/fota|job|firmware|GET \/[^ ]*\/[^ ]*\.bin/i.test(`${rec.kind} ${rec.topic || ''}`)) return;
    clearTimeout(timer);
    timer = setTimeout(() => loadJobs().catch(() => {}), 300);
  });
  onLeave(() => { stop(); clearTimeout(timer); });

  return h('div', h('h1', 'Firmware'),
    section('Bundles', bundlesBox, h('h3', 'Upload a bundle'), upload),
    section('Create a FOTA job', create),
    section('FOTA jobs', jobsBox));
}
