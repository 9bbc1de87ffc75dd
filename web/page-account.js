// SPDX-License-Identifier: MIT
// page-account.js: team, endpoints, the CA, the API key and the service tokens.
import { h, section, button, act, fmtTime, toast } from './ui.js';
import { admin, rest } from './api.js';

function row(label, value, id) {
  return [h('dt', label), h('dd', id ? { id } : {}, value)];
}

// text: a string, or a function giving the current one
function copyButton(text, what) {
  return button(`Copy ${what}`, () => act(() => navigator.clipboard.writeText(typeof text === 'function' ? text() : text), `${what} copied`), '.small');
}

export default async function account() {
  const [inst, acct] = await Promise.all([admin('GET', '/instance'), rest('GET', '/account')]);
  const keyText = h('code#api-key', '••••••••');
  let shown = false;
  const showKey = button('Show', () => {
    shown = !shown;
    keyText.textContent = shown ? inst.apiKey : '••••••••';
    showKey.textContent = shown ? 'Hide' : 'Show';
    showKey.setAttribute('aria-pressed', String(shown));
  }, '.small');
  showKey.setAttribute('aria-pressed', 'false');

  const evalOut = h('div#eval-token');
  async function loadEval() {
    try {
      const t = await rest('GET', '/account/service-evaluation-token');
      evalOut.replaceChildren(h('p', 'Expires ', h('time', fmtTime(t.expires)), ' '),
        h('pre.json.wrap', { tabindex: '0', 'aria-label': 'Evaluation token' }, t.token), copyButton(t.token, 'token'));
    } catch (e) {
      evalOut.replaceChildren(h('p', e.status === 404 ? 'No evaluation token yet.' : e.message));
    }
  }
  const svcOut = h('div#service-key');
  await loadEval();

  return h('div',
    h('h1', 'Account'),
    section('Team',
      h('dl.kv', row('Team name', inst.teamName), row('Tenant ID', h('code', inst.tenantId)),
        row('Stage', inst.stage), row('Topic prefix', h('code', inst.topicPrefix)),
        row('Plan', acct.plan && acct.plan.name), row('Version', inst.version))),
    section('Endpoints',
      h('dl.kv',
        row('MQTT', h('code', `${inst.mqtt.host}:${inst.mqtt.port}`), 'ep-mqtt'),
        row('REST API', h('code', `https://${inst.api.host}:${inst.api.port}`), 'ep-api'),
        row('Firmware', h('code', `https://${inst.firmware.host}:${inst.firmware.port}`), 'ep-fw'),
        row('Admin', h('code', `http://${inst.admin.bind}:${inst.admin.port}`)),
        row('Auto-onboard', inst.autoOnboard ? 'on' : 'off')),
      h('p', 'Devices and tools trust the lab CA: ', h('a', { href: '/mock/v1/ca.pem', download: 'nrfcloud-mock-ca.pem' }, 'download ca.pem'), '.')),
    section('API key',
      h('p', 'The key REST clients send as "Authorization: Bearer <key>".'),
      h('p.keyline', keyText, ' ', showKey, ' ', copyButton(() => inst.apiKey, 'API key'), ' ',
        button('Rotate', () => {
          if (!confirm('Replace the API key? Clients using the current key stop working.')) return;
          act(async () => {
            inst.apiKey = (await admin('POST', '/api-key')).apiKey;
            shown = true;
            keyText.textContent = inst.apiKey;
            showKey.textContent = 'Hide';
            showKey.setAttribute('aria-pressed', 'true');
          }, 'API key rotated');
        }, '.small.danger'))),
    section('Service evaluation token',
      h('p', 'For location services without a service key; valid for 30 days.'),
      evalOut,
      button('Create evaluation token', () => act(async () => {
        await rest('POST', '/account/service-evaluation-token');
        await loadEval();
      }, 'Evaluation token created'))),
    section('Service key and token',
      h('p', 'A new ES256 key pair; the private key is shown once, here, and never again.'),
      svcOut,
      button('Create service key and token', () => act(async () => {
        const r = await rest('POST', '/account/service-key-and-token');
        svcOut.replaceChildren(h('p.warn', { role: 'alert' }, 'Save the private key now: it is not stored in a readable form.'),
          h('h3', 'Private key'), h('pre.json', { tabindex: '0' }, r.key), copyButton(r.key, 'private key'),
          h('h3', 'Token'), h('pre.json.wrap', { tabindex: '0' }, r.token), copyButton(r.token, 'token'));
        toast('Service key created');
      }))));
}
