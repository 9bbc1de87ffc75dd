// SPDX-License-Identifier: MIT
// portal.test.mjs: the web portal in a real browser (headless Chromium over the DevTools
// protocol, cdp.mjs) against the real server: every page against the APIs, a device created,
// desired state edited and the delta seen by an MQTT client with the device's certificate, a
// bundle uploaded and a job created, messages arriving live. Screenshots go to NCM_SCREENSHOTS.
//   env: NCM_BIN (nrfcloud-mock), NCM_FIXTURES, NCM_SCREENSHOTS, CHROMIUM (optional)
import { spawn, execFileSync } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { appendFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { launch } from './cdp.mjs';

const BIN = process.env.NCM_BIN;
const FIXTURES = process.env.NCM_FIXTURES;
const SHOTS = process.env.NCM_SCREENSHOTS || join(process.cwd(), 'portal-screenshots');
const TOKEN = 'portal-test-token';
const tmp = mkdtempSync(join(tmpdir(), 'ncm-portal-'));
const children = [];
let server; let browser; let failed = false; let page;
let serverErr = () => '';

function log(...a) { console.log('#', ...a); }

function findChromium() {
  for (const c of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (c && existsSync(c)) return c;
  throw new Error('chromium not found: install it (docker/deps.sh test) or set CHROMIUM');
}

// Starts `nrfcloud-mock serve` on free ports; resolves with what it printed before "ready".
function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, ['serve', '--data', join(tmp, 'data'), '--fixtures', FIXTURES,
      '--mqtt-bind', '127.0.0.1', '--https-bind', '127.0.0.1', '--mqtt-port', '0', '--https-port', '0',
      '--admin-port', '0', '--admin-token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
    server = p;
    const info = {};
    let err = '';
    const logFile = join(tmp, 'server.log');
    p.stderr.on('data', (d) => { err = (err + d).slice(-8000); appendFileSync(logFile, d); });
    serverErr = () => err;
    const timer = setTimeout(() => reject(new Error(`server not ready in 30 s: ${err}`)), 30000);
    createInterface({ input: p.stdout }).on('line', (line) => {
      const m = line.match(/^([a-z-]+) (.*)$/);
      if (m) info[m[1]] = m[2];
      if (line === 'ready') { clearTimeout(timer); resolve(info); }
    });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}): ${err}`)); });
  });
}

async function api(method, path, body) {
  const r = await fetch(`${ADMIN}${path}`, {
    method, headers: { Authorization: `Bearer ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  log('ok', what);
}

// A child process whose output is collected; resolves on exit.
function run(cmd, args, input) {
  const p = spawn(cmd, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  children.push(p);
  let out = ''; let err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  if (input) p.stdin.end(input);
  p.done = new Promise((resolve) => p.on('exit', (code) => resolve({ code, out, err })));
  return p;
}

let ADMIN;

async function shot(page, name, from) {
  const png = await page.screenshot();
  writeFileSync(join(SHOTS, `${name}.png`), png);
  log('screenshot', join(SHOTS, `${name}.png`), png.length, 'bytes');
  // NCM_DOCS_SHOTS: the small copies docs/portal/ keeps (one screen, from the element named by
  // from or the top, at 60 %)
  if (process.env.NCM_DOCS_SHOTS) {
    const y = from ? await page.eval(`document.querySelector(${JSON.stringify(from)}).getBoundingClientRect().top + scrollY - 24`) : 0;
    const small = await page.screenshot({ scale: 0.6, y });
    writeFileSync(join(process.env.NCM_DOCS_SHOTS, `${name}.png`), small);
  }
}

async function show(page, hash, readyExpr, what) {
  await page.eval(`location.hash = ${JSON.stringify(hash)}`);
  await page.waitFor(readyExpr, what);
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const info = await startServer();
  ADMIN = `http://127.0.0.1:${info['admin-port']}`;
  const prefix = info['topic-prefix'];
  log('server', ADMIN, 'mqtt', info['mqtt-port']);
  browser = await launch(findChromium());
  page = await browser.newPage();
  await page.viewport(1280, 900);

  // the admin token guards the portal's data: a login form first
  const unauth = await fetch(`${ADMIN}/mock/v1/instance`);
  check(unauth.status === 401, 'the API behind the portal needs the admin token');
  const index = await fetch(`${ADMIN}/`);
  check(index.headers.get('content-type').startsWith('text/html'), 'index served as text/html');
  const js = await fetch(`${ADMIN}/portal/app.js`);
  check(js.headers.get('content-type').startsWith('text/javascript'), 'modules served as text/javascript');
  check((await fetch(`${ADMIN}/portal/..%2Fportal.c`)).status === 404, 'no path outside the web folder');
  await page.goto(`${ADMIN}/#/account`);
  await page.waitFor(`document.querySelector('form.login input[type=password]')`, 'the admin token form');
  await page.type('form.login input', TOKEN);
  await page.click('form.login button');

  // Account
  const inst = await api('GET', '/mock/v1/instance');
  await page.waitFor(`document.querySelector('#ep-mqtt')`, 'the account page');
  const acct = await page.eval(`({ mqtt: document.querySelector('#ep-mqtt').textContent, body: document.querySelector('main').textContent })`);
  check(acct.mqtt === `${inst.mqtt.host}:${info['mqtt-port']}`, 'account shows the MQTT host and port');
  check(acct.body.includes(info['tenant-id']) && acct.body.includes(prefix), 'account shows tenant ID and topic prefix');
  check(!acct.body.includes(info['api-key']), 'the API key is hidden until asked');
  await page.eval(`[...document.querySelectorAll('button')].find((b) => b.textContent === 'Show').click()`);
  check(await page.eval(`document.querySelector('#api-key').textContent`) === info['api-key'], 'Show reveals the API key');
  await page.eval(`[...document.querySelectorAll('button')].find((b) => b.textContent === 'Create evaluation token').click()`);
  await page.waitFor(`document.querySelector('#eval-token pre')`, 'the evaluation token');
  const evalTok = await api('GET', '/mock/v1/rest/v1/account/service-evaluation-token');
  check(await page.eval(`document.querySelector('#eval-token pre').textContent`) === evalTok.token, 'evaluation token shown is the API\'s');
  await shot(page, 'account');
  // rotating the API key: the old key is refused by the REST API, the new one taken
  const https = (key) => execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(tmp, 'data', 'ca', 'ca.pem'),
    '-H', `Authorization: Bearer ${key}`, `https://127.0.0.1:${info['https-port']}/v1/account`]).toString();
  check(https(info['api-key']) === '200', 'the fixture API key works before rotation');
  await page.eval(`[...document.querySelectorAll('button')].find((b) => b.textContent === 'Rotate').click()`);
  await page.waitFor(`document.querySelector('#api-key').textContent !== ${JSON.stringify(info['api-key'])} && document.querySelector('#api-key').textContent.length === 40`, 'the new API key shown');
  const newKey = await page.eval(`document.querySelector('#api-key').textContent`);
  check((await api('GET', '/mock/v1/instance')).apiKey === newKey, 'the API has the rotated key');
  check(https(info['api-key']) === '401' && https(newKey) === '200', 'the old key is refused, the new one taken');

  // Devices: the list against the API, then a device added through the form
  const devices = await api('GET', '/mock/v1/devices');
  await show(page, '#/devices', `document.querySelectorAll('#device-table tbody tr').length === ${devices.items.length}`, 'the device list');
  for (const d of devices.items) check(await page.eval(`document.querySelector('#device-table').textContent.includes(${JSON.stringify(d.id)})`), `device ${d.id} listed`);
  const newId = 'portal-made-1';
  await page.type('#main form.grid input', newId);
  await page.eval(`document.querySelector('#main form.grid').requestSubmit()`);
  await page.waitFor(`document.querySelector('#device-table').textContent.includes('${newId}')`, 'the new device in the list');
  check((await api('GET', `/mock/v1/devices/${newId}`)).id === newId, 'the device added in the portal exists in the API');
  await page.type('input[type=search]', 'portal-made');
  await page.waitFor(`document.querySelectorAll('#device-table tbody tr').length === 1`, 'search narrowing the list');
  await shot(page, 'devices');
  // rename (the prompt is answered), then tags
  const row = `[...document.querySelectorAll('#device-table tbody tr')].find((r) => r.textContent.includes('${newId}'))`;
  page.promptText = 'Made in the portal';
  await page.eval(`[...${row}.querySelectorAll('button')].find((b) => b.textContent === 'Rename').click()`);
  await page.waitFor(`${row} && ${row}.textContent.includes('Made in the portal')`, 'the new name in the list');
  check((await api('GET', `/mock/v1/devices/${newId}`)).name === 'Made in the portal', 'renamed in the API');
  page.promptText = 'bench, portal';
  await page.eval(`[...${row}.querySelectorAll('button')].find((b) => b.textContent === 'Tags').click()`);
  await page.waitFor(`${row} && ${row}.textContent.includes('bench')`, 'the new tags in the list');
  check(JSON.stringify((await api('GET', `/mock/v1/devices/${newId}`)).tags) === '["bench","portal"]', 'tags set in the API');
  await page.viewport(390, 844, true);
  await page.type('input[type=search]', '');
  await page.waitFor(`document.querySelectorAll('#device-table tbody tr').length === ${devices.items.length + 1}`, 'the whole list again');
  await shot(page, 'devices-phone-dark');
  await page.viewport(1280, 900);

  // Device: an MQTT client with the device's certificate sees the delta of a desired edit
  const dev = await api('POST', '/mock/v1/devices', { id: 'portal-mqtt-1', tags: ['portal'] });
  writeFileSync(join(tmp, 'dev.pem'), dev.certificate);
  writeFileSync(join(tmp, 'dev.key'), dev.privateKey);
  writeFileSync(join(tmp, 'ca.pem'), await (await fetch(`${ADMIN}/mock/v1/ca.pem`)).text());
  const tls = ['-h', '127.0.0.1', '-p', info['mqtt-port'], '--cafile', join(tmp, 'ca.pem'), '--cert', join(tmp, 'dev.pem'),
    '--key', join(tmp, 'dev.key'), '-i', dev.id, '-q', '1'];
  const since = Date.now();
  const sub = run('mosquitto_sub', [...tls, '-t', `$aws/things/${dev.id}/shadow/update/delta`, '-C', '1', '-W', '30']);
  await api('POST', '/mock/v1/wait', { kind: 'mqtt.subscribe', device: dev.id, since, timeout_ms: 15000 });
  await show(page, `#/devices/${dev.id}`, `document.querySelector('#desired-editor') && document.querySelector('#live-state').textContent === 'live'`, 'the device page, live');
  await page.type('#desired-editor', '{"config": {"portalTest": 42}');
  await page.waitFor(`document.querySelector('#desired-editor').getAttribute('aria-invalid') === 'true'`, 'invalid JSON flagged');
  check(await page.eval(`document.querySelector('#desired-editor').form.querySelector('button[type=submit]').disabled`), 'invalid JSON cannot be sent');
  await page.type('#desired-editor', '{"config": {"portalTest": 42}}');
  await page.eval(`document.querySelector('#desired-editor').form.requestSubmit()`);
  const got = await sub.done;
  check(got.code === 0 && JSON.parse(got.out).state.config.portalTest === 42, `the device received the delta ${got.out.trim()}`);
  await page.waitFor(`document.querySelector('#shadow').textContent.includes('portalTest')`, 'the shadow showing the new desired state');
  const shadow = await api('GET', `/mock/v1/devices/${dev.id}/shadow`);
  await page.waitFor(`document.querySelector('#shadow-version').textContent === '${shadow.version}'`, `shadow version ${shadow.version} as the API has it`);

  // messages live, and the chart per appId
  const msgs = ['{"appId":"TEMP","messageType":"DATA","data":"21.5"}', '{"appId":"TEMP","messageType":"DATA","data":"22.0"}',
    '{"appId":"RSRP","messageType":"DATA","data":-97}'];
  const pub = await run('mosquitto_pub', [...tls, '-t', `${prefix}m/d/${dev.id}/d2c`, '-l'], `${msgs.join('\n')}\n`).done;
  check(pub.code === 0, `mosquitto_pub ran ${pub.err}`);
  await page.waitFor(`document.querySelectorAll('#messages li').length >= 3 && document.querySelector('#legend').textContent.includes('RSRP')`, 'the messages live and the chart legend');
  check(await page.eval(`document.querySelector('#legend').textContent.includes('TEMP: 22')`), 'TEMP charted with its newest value');
  // data usage: exact payload and PUBLISH sizes of the three messages (QoS 1: PUBACKs go back)
  const topicLen = `${prefix}m/d/${dev.id}/d2c`.length;
  const payload = msgs.reduce((s, m) => s + m.length, 0);
  // each PUBLISH: 1 + 1 (remaining length) + 2 + topic + 2 (packet ID) + payload; plus the
  // device's 4-byte PUBACK of the QoS 1 delta it received
  const wire = msgs.reduce((s, m) => s + 1 + 1 + 2 + topicLen + 2 + m.length, 0) + 4;
  const usage = await api('GET', `/mock/v1/usage?device=${dev.id}`);
  check(usage.totals.mqttPayload.in === payload, `MQTT payload in counted: ${usage.totals.mqttPayload.in} = ${payload}`);
  check(usage.totals.mqttWire.in === wire, `MQTT wire in counted: ${usage.totals.mqttWire.in} = ${wire}`);
  check(usage.totals.mqttPayload.out > 0, 'the delta counted as MQTT out');
  // a REST call with the device's JWT (ES256, sub = device ID): its answer counts as HTTPS out
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'ES256', typ: 'JWT' })}.${b64({ sub: dev.id, iat: now, exp: now + 600 })}`;
  const jwt = `${unsigned}.${sign('sha256', Buffer.from(unsigned), { key: createPrivateKey(dev.privateKey), dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  const got2 = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', '--cacert', join(tmp, 'ca.pem'),
    '-H', `Authorization: Bearer ${jwt}`, `https://127.0.0.1:${info['https-port']}/v1/devices/${dev.id}`]).toString().split(' ');
  check(got2[0] === '200', 'the device read itself with its JWT');
  await api('POST', '/mock/v1/wait', { kind: 'http.request', device: dev.id, topic: `GET /v1/devices/${dev.id}`, timeout_ms: 15000 });
  const usage2 = await api('GET', `/mock/v1/usage?device=${dev.id}`);
  check(usage2.totals.https.out === Number(got2[1]) && usage2.totals.https.in === 0, `HTTPS answer bytes counted for the device (${usage2.totals.https.out} = ${got2[1]})`);
  await page.eval(`[...document.querySelectorAll('button')].filter((b) => b.textContent === 'Refresh').pop().click()`);
  await page.waitFor(`document.querySelector('#usage-table tbody').textContent.includes('${payload} B')`, 'usage table showing the payload bytes');
  // location fixes: ground fix requests over MQTT (a cell, then three access points) land in
  // the history the device page draws
  const fixes = [{ lte: [{ mcc: 242, mnc: 1, tac: 3003, eci: 21858829, rsrp: -97 }] },
    { wifi: { accessPoints: [{ macAddress: 'f4:ec:38:0a:41:10' }, { macAddress: 'f4:ec:38:0a:41:11' }, { macAddress: 'f4:ec:38:0a:41:12' }] } }];
  const gf = await run('mosquitto_pub', [...tls, '-t', `${prefix}m/d/${dev.id}/d2c`, '-l'],
    `${fixes.map((d) => JSON.stringify({ appId: 'GROUND_FIX', messageType: 'DATA', data: d })).join('\n')}\n`).done;
  check(gf.code === 0, 'ground fix requests sent');
  let hist = { items: [] };
  for (let i = 0; i < 2; i++) {
    const w = await api('POST', '/mock/v1/wait', { kind: 'mqtt.send', device: dev.id, topic: `${prefix}m/d/${dev.id}/ground_fix/r`, after: hist.seq || 0, timeout_ms: 15000 });
    hist.seq = w.record.seq;
  }
  hist = await api('GET', `/mock/v1/rest/v1/location/history?deviceId=${dev.id}`);
  check(hist.items.length === 2, `the location history has both fixes (${hist.items.length})`);
  await show(page, '#/devices', `document.querySelector('#device-table')`, 'the device list again');
  await show(page, `#/devices/${dev.id}`, `document.querySelectorAll('#fixes tbody tr').length === ${hist.items.length}`, 'the location fixes');
  await shot(page, 'device', '#s-messages');

  // the device reports that it takes application FOTA (reported device.serviceInfo.fota_v2)
  const rep = await run('mosquitto_pub', [...tls, '-t', `$aws/things/${dev.id}/shadow/update`, '-m',
    JSON.stringify({ state: { reported: { device: { serviceInfo: { fota_v2: ['APP', 'MODEM'] } } } } })]).done;
  check(rep.code === 0, 'the device reported its FOTA support');

  // Firmware: upload a bundle through the file input, create a job for the device
  const img = Buffer.alloc(4096, 7);
  writeFileSync(join(tmp, 'app_update.bin'), img);
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify({ name: 'portal test', fwversion: '9.9.9-portal', 'format-version': 1,
    files: [{ file: 'app_update.bin', type: 'application', size: img.length }] }));
  execFileSync('python3', ['-m', 'zipfile', '-c', join(tmp, 'bundle.zip'), join(tmp, 'manifest.json'), join(tmp, 'app_update.bin')]);
  const bundles = await api('GET', '/mock/v1/rest/v1/firmwares');
  await show(page, '#/firmware', `document.querySelectorAll('#bundles tbody tr').length === ${bundles.items.length}`, 'the bundle list');
  await page.setFile('#upload input[type=file]', join(tmp, 'bundle.zip'));
  await page.eval(`document.querySelector('#upload').requestSubmit()`);
  await page.waitFor(`document.querySelector('#bundles').textContent.includes('9.9.9-portal')`, 'the uploaded bundle listed');
  const bundle = (await api('GET', '/mock/v1/rest/v1/firmwares')).items.find((b) => b.version === '9.9.9-portal');
  check(bundle, 'the bundle uploaded in the portal is in the REST API');
  await page.eval(`(() => { const s = document.querySelector('#create-job select'); s.value = ${JSON.stringify(bundle.bundleId)}; })()`);
  await page.type('#create-job input', dev.id);
  await page.eval(`document.querySelector('#create-job').requestSubmit()`);
  await page.waitFor(`document.querySelector('#jobs article.job')`, 'the job listed');
  // executions are made for devices whose shadow says they take the bundle's type (fota_v2)
  const jobs = await api('GET', '/mock/v1/rest/v1/fota-jobs');
  check(jobs.items.length === 1 && jobs.items[0].firmware && jobs.items[0].firmware.bundleId === bundle.bundleId, 'the job is in the REST API for that bundle');
  await page.eval(`[...document.querySelectorAll('#jobs button')].find((b) => b.textContent === 'Apply').click()`);
  await page.waitFor(`document.querySelector('#jobs').textContent.includes(${JSON.stringify(dev.id)})`, 'the applied job showing its device execution');
  const ex = await api('GET', `/mock/v1/rest/v1/fota-job-execution-statuses/${encodeURIComponent(jobs.items[0].jobId)}`);
  check(ex.items.length === 1 && ex.items[0].deviceId === dev.id, `the API has the execution (${ex.items[0] && ex.items[0].status})`);
  await page.waitFor(`document.querySelector('#jobs .status').textContent === ${JSON.stringify(ex.items[0].status)}`, 'the execution status as the API has it');
  await shot(page, 'firmware');
  // cancel, then delete the job; delete the bundle
  const jobId = jobs.items[0].jobId;
  await page.eval(`[...document.querySelectorAll('#jobs button')].find((b) => b.textContent === 'Cancel').click()`);
  await page.waitFor(`document.querySelector('#jobs .badge') && document.querySelector('#jobs .badge').textContent === 'CANCELLED'`, 'the job cancelled');
  check((await api('GET', `/mock/v1/rest/v1/fota-jobs/${encodeURIComponent(jobId)}`)).status === 'CANCELLED', 'the job is cancelled in the API');
  await page.eval(`[...document.querySelectorAll('#jobs button')].find((b) => b.textContent === 'Delete').click()`);
  await page.waitFor(`!document.querySelector('#jobs article.job')`, 'the job deleted');
  check((await api('GET', '/mock/v1/rest/v1/fota-jobs')).items.length === 0, 'no job left in the API');
  // a firmware download (a Range of 100 bytes) counts as firmware bytes out; the URL carries no
  // device identity, so they are unattributed (device "")
  const url = `https://127.0.0.1:${info['https-port']}/${info['tenant-id']}/${encodeURIComponent(bundle.bundleId)}/app_update.bin`;
  const dl = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', '--cacert', join(tmp, 'data', 'ca', 'ca.pem'), '-r', '0-99', url]).toString();
  check(dl === '206 100', `a firmware range downloaded (${dl})`);
  // counted when the request completes, just before its journal record: wait for that
  await api('POST', '/mock/v1/wait', { kind: 'http.request', topic: `GET /${info['tenant-id']}/${bundle.bundleId}/app_update.bin`, timeout_ms: 15000 });
  const team = await api('GET', '/mock/v1/usage');
  const anon = team.days.find((d) => d.device === '');
  check(anon && anon.firmware.out === 100, `firmware bytes counted (${anon && anon.firmware.out})`);
  const bundleRow = `[...document.querySelectorAll('#bundles tbody tr')].find((r) => r.textContent.includes('9.9.9-portal'))`;
  await page.eval(`[...${bundleRow}.querySelectorAll('button')].find((b) => b.textContent === 'Delete').click()`);
  await page.waitFor(`!document.querySelector('#bundles').textContent.includes('9.9.9-portal')`, 'the bundle deleted');
  check(!(await api('GET', '/mock/v1/rest/v1/firmwares')).items.some((b) => b.version === '9.9.9-portal'), 'the bundle is gone from the API');

  // Location: the answers as the admin API has them
  const loc = await api('GET', '/mock/v1/location');
  await show(page, '#/location', `document.querySelectorAll('#cells tbody tr').length === ${loc.cells.length}`, 'the cells');
  check(await page.eval(`document.querySelectorAll('#wifi tbody tr').length`) === loc.wifi.length + loc.anchors.length, 'access points and anchors listed');
  await page.type('#loc-entry', '{"mcc": 242, "mnc": 1, "tac": 7, "eci": 4242, "lat": 63.4, "lon": 10.4, "uncertainty": 321}');
  await page.eval(`document.querySelector('#loc-form').requestSubmit()`);
  await page.waitFor(`document.querySelector('#cells').textContent.includes('4242')`, 'the added cell');
  check((await api('GET', '/mock/v1/location')).cells.some((c) => c.eci === 4242), 'the cell added in the portal is in the API');
  await shot(page, 'location');

  // Lab: the journal live; a cloud publish appears without reloading; recording toggled
  await show(page, '#/lab', `document.querySelector('#journal-state').textContent === 'live' && document.querySelectorAll('#journal tbody tr').length > 0`, 'the journal, live');
  const topic = `${prefix}m/d/${dev.id}/c2d/portal-live`;
  await api('POST', '/mock/v1/publish', { topic, payload: { hello: 'portal' }, qos: 0 });
  await page.waitFor(`document.querySelector('#journal tbody').textContent.includes('portal-live')`, 'the publish appearing live in the journal');
  await page.click('#record-toggle');
  await page.waitFor(`document.querySelector('#record-path').textContent.endsWith('recording.jsonl')`, 'recording on');
  check((await api('GET', '/mock/v1/record')).on === true, 'the record toggle reached the server');
  // a filter narrows the journal to one kind
  await page.type('#journal-filters input', 'mqtt.connect');
  await page.eval(`document.querySelector('#journal-filters').requestSubmit()`);
  await page.waitFor(`document.querySelectorAll('#journal tbody tr').length > 0 && [...document.querySelectorAll('#journal tbody tr')].every((r) => r.children[2].textContent === 'mqtt.connect')`, 'only mqtt.connect records');
  // the wait tester: a pattern that matches at once, then one that times out with near misses
  await page.type('#wait-body', JSON.stringify({ kind: 'mqtt.connect', device: dev.id, timeout_ms: 5000 }));
  await page.eval(`document.querySelector('#wait-body').form.requestSubmit()`);
  await page.waitFor(`document.querySelector('#wait-result').textContent.includes('Matched') && document.querySelector('#wait-result').textContent.includes(${JSON.stringify(dev.id)})`, 'the wait tester matching');
  await page.type('#wait-body', JSON.stringify({ kind: 'mqtt.never', device: dev.id, timeout_ms: 300 }));
  await page.eval(`document.querySelector('#wait-body').form.requestSubmit()`);
  await page.waitFor(`document.querySelector('#wait-result').textContent.includes('408')`, 'the wait tester timing out');
  // a fault added, listed as the API lists it, and cleared
  await page.eval(`document.querySelector('#fault-body').form.requestSubmit()`);
  await page.waitFor(`document.querySelectorAll('#faults tbody tr td:not(.empty)').length > 0 && document.querySelector('#faults').textContent.includes('rest_status')`, 'the fault listed');
  check((await api('GET', '/mock/v1/faults')).items.length === 1, 'the fault is in the API');
  await page.type('#journal-filters input', '');
  await page.eval(`document.querySelector('#journal-filters').requestSubmit()`);
  await page.waitFor(`document.querySelector('#journal-state').textContent === 'live' && document.querySelectorAll('#journal tbody tr').length > 5`, 'the whole journal again');
  await shot(page, 'lab');
  await page.eval(`[...document.querySelectorAll('button')].find((b) => b.textContent === 'Clear all faults').click()`);
  await page.waitFor(`document.querySelector('#faults').textContent.includes('No faults.')`, 'the faults cleared');
  check((await api('GET', '/mock/v1/faults')).items.length === 0, 'no fault left in the API');
  // delete a device from the Devices page (the confirm is answered)
  await show(page, '#/devices', `document.querySelector('#device-table') && document.querySelector('#device-table').textContent.includes('${newId}')`, 'the device list');
  await page.eval(`[...${row}.querySelectorAll('button')].find((b) => b.textContent === 'Delete').click()`);
  await page.waitFor(`!document.querySelector('#device-table').textContent.includes('${newId}')`, 'the device gone from the list');
  check((await fetch(`${ADMIN}/mock/v1/devices/${newId}`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status === 404, 'the device gone from the API');

  // fixtures import on the Lab page: the exported world without the MQTT test device
  const doc = await api('GET', '/mock/v1/fixtures');
  check(Array.isArray(doc.devices) && doc.devices.some((d) => d.id === dev.id), 'the export has the test device');
  doc.devices = doc.devices.filter((d) => d.id !== dev.id);
  writeFileSync(join(tmp, 'fixtures.json'), JSON.stringify(doc));
  await show(page, '#/lab', `document.querySelector('#journal-state').textContent === 'live'`, 'the Lab page');
  await page.setFile('#main input[type=file]', join(tmp, 'fixtures.json'));
  await page.eval(`[...document.querySelectorAll('button')].find((b) => b.textContent === 'Import').click()`);
  await page.waitFor(`document.querySelector('#toast').textContent === 'Fixtures imported'`, 'the import done');
  const after = await api('GET', '/mock/v1/devices');
  check(!after.items.some((d) => d.id === dev.id) && after.items.length === doc.devices.length, 'the imported world is the API\'s');
  // reset to the fixtures folder
  await page.eval(`[...document.querySelectorAll('button')].find((b) => b.textContent === 'Reset').click()`);
  await page.waitFor(`document.querySelector('#toast').textContent === 'Reset done'`, 'the reset done');
  check((await api('GET', '/mock/v1/devices')).items.length === devices.items.length, 'the reset left the fixture devices');

  check(page.errors.length === 0, `no script errors in the pages ${page.errors.join(' | ')}`);
}

async function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  // each step on its own: a failure here must not leave the server running
  if (browser) await browser.close().catch((e) => console.error('# closing chromium:', e.message));
  if (server && server.exitCode === null) {
    // a clean stop too: the broker exits 0 on SIGTERM, with live-event requests still waiting
    const gone = new Promise((r) => server.on('exit', (code, sig) => r({ code, sig })));
    server.kill('SIGTERM');
    const end = await Promise.race([gone, new Promise((r) => setTimeout(() => r(null), 15000))]);
    if (!end) {
      server.kill('SIGKILL');
      if (!failed) { failed = true; console.error('not ok: the server did not stop on SIGTERM'); }
    } else if (end.code !== 0 && !failed) {
      failed = true;
      console.error(`not ok: the server exited with ${end.code ?? end.sig} on SIGTERM (whole log: ${join(tmp, 'server.log')}):\n${serverErr()}`);
    } else {
      log('ok the server stopped cleanly');
    }
  }
  if (!failed) rmSync(tmp, { recursive: true, force: true });
  else log('kept', tmp);
}

const t0 = Date.now();
try {
  await main();
  log(`passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} catch (e) {
  failed = true;
  console.error('not ok:', e.message);
  if (page) {
    console.error('page errors:', page.errors.join(' | '));
    try {
      console.error('page text:', (await page.eval('document.body.innerText')).slice(0, 1500));
      writeFileSync(join(SHOTS, 'failure.png'), await page.screenshot());
    } catch { /* the page is gone */ }
  }
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
