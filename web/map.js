// SPDX-License-Identifier: MIT
// map.js: location fixes on a plain canvas (the lab has no tile server): an equirectangular
// view fitted to the fixes and their uncertainty circles, a metre grid, the newest fix marked.

import { css, prepareCanvas } from './canvas.js';

const M_PER_DEG = 111320;

// fixes: [{lat, lon, uncertainty (m), serviceType, time}] newest first.
export function drawFixes(canvas, fixes) {
  const { g, w, hgt } = prepareCanvas(canvas, 300);
  g.font = '12px system-ui, sans-serif';
  g.fillStyle = css('--muted');
  if (!fixes.length) {
    g.fillText('No location fixes yet.', 12, hgt / 2);
    return;
  }
  const lat0 = fixes.reduce((s, f) => s + f.lat, 0) / fixes.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  // extent in metres around the mean, with each circle inside
  const pts = fixes.map((f) => ({ ...f, x: (f.lon * M_PER_DEG * k), y: f.lat * M_PER_DEG }));
  let x0 = Infinity; let x1 = -Infinity; let y0 = Infinity; let y1 = -Infinity;
  for (const p of pts) {
    const r = p.uncertainty || 0;
    x0 = Math.min(x0, p.x - r); x1 = Math.max(x1, p.x + r);
    y0 = Math.min(y0, p.y - r); y1 = Math.max(y1, p.y + r);
  }
  const span = Math.max(x1 - x0, y1 - y0, 50) * 1.1;
  const cx = (x0 + x1) / 2; const cy = (y0 + y1) / 2;
  const scale = Math.min(w, hgt) / span; // px per metre
  const X = (x) => w / 2 + (x - cx) * scale;
  const Y = (y) => hgt / 2 - (y - cy) * scale;
  // grid: a round number of metres per line
  const step = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1e6, 2e6]
    .find((s) => s * scale >= 60) || 5e6;
  g.strokeStyle = css('--line');
  g.lineWidth = 1;
  for (let x = Math.floor((cx - w / 2 / scale) / step) * step; X(x) < w; x += step) {
    g.beginPath(); g.moveTo(X(x), 0); g.lineTo(X(x), hgt); g.stroke();
  }
  for (let y = Math.floor((cy - hgt / 2 / scale) / step) * step; Y(y) > 0; y += step) {
    g.beginPath(); g.moveTo(0, Y(y)); g.lineTo(w, Y(y)); g.stroke();
  }
  g.fillStyle = css('--muted');
  g.fillText(`grid ${step >= 1000 ? `${step / 1000} km` : `${step} m`}`, 8, hgt - 8);
  const colours = { GNSS: '#2b8a3e', MCELL: '#d9480f', SCELL: '#e67700', WIFI: '#0a7cba', ANCHOR: '#9c36b5' };
  pts.slice().reverse().forEach((p, i, arr) => {
    const c = colours[p.serviceType] || '#5f3dc4';
    const newest = i === arr.length - 1;
    g.strokeStyle = c;
    g.fillStyle = `${c}22`;
    g.lineWidth = newest ? 2 : 1;
    g.beginPath(); g.arc(X(p.x), Y(p.y), Math.max(2, (p.uncertainty || 0) * scale), 0, 2 * Math.PI); g.fill(); g.stroke();
    g.fillStyle = c;
    g.beginPath(); g.arc(X(p.x), Y(p.y), newest ? 5 : 3, 0, 2 * Math.PI); g.fill();
  });
}
