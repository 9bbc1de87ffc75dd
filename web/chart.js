// SPDX-License-Identifier: MIT
// chart.js: a time-series line chart on a canvas: one series per name (an appId), each with its
// own colour and min/max, values normalised to the plot height so TEMP and RSRP share a chart.

import { css, prepareCanvas } from './canvas.js';

const COLOURS = ['#0a7cba', '#d9480f', '#2b8a3e', '#9c36b5', '#c92a2a', '#5f3dc4', '#087f5b', '#e67700'];

// series: Map name -> [{t: ms, v: number}]. Draws and returns the legend entries.
export function drawChart(canvas, series) {
  const { g, w, hgt } = prepareCanvas(canvas, 240);
  const pad = { l: 12, r: 12, t: 12, b: 24 };
  const all = [...series.values()].flat();
  g.font = '12px system-ui, sans-serif';
  g.fillStyle = css('--muted');
  if (!all.length) {
    g.fillText('No numeric data yet.', pad.l, hgt / 2);
    return [];
  }
  let t0 = Math.min(...all.map((p) => p.t));
  let t1 = Math.max(...all.map((p) => p.t));
  if (t1 === t0) { t0 -= 30000; t1 += 30000; }
  const X = (t) => pad.l + ((t - t0) / (t1 - t0)) * (w - pad.l - pad.r);
  g.strokeStyle = css('--line');
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + (i / 4) * (hgt - pad.t - pad.b);
    g.beginPath(); g.moveTo(pad.l, y); g.lineTo(w - pad.r, y); g.stroke();
  }
  g.fillText(new Date(t0).toISOString().slice(11, 19), pad.l, hgt - 6);
  const end = new Date(t1).toISOString().slice(11, 19);
  g.fillText(end, w - pad.r - g.measureText(end).width, hgt - 6);
  const legend = [];
  let i = 0;
  for (const [name, pts] of series) {
    const colour = COLOURS[i++ % COLOURS.length];
    let lo = Math.min(...pts.map((p) => p.v));
    let hi = Math.max(...pts.map((p) => p.v));
    if (hi === lo) { lo -= 1; hi += 1; }
    const Y = (v) => pad.t + (1 - (v - lo) / (hi - lo)) * (hgt - pad.t - pad.b);
    const sorted = [...pts].sort((a, b) => a.t - b.t);
    g.strokeStyle = colour;
    g.fillStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    sorted.forEach((p, k) => (k ? g.lineTo(X(p.t), Y(p.v)) : g.moveTo(X(p.t), Y(p.v))));
    g.stroke();
    for (const p of sorted) { g.beginPath(); g.arc(X(p.t), Y(p.v), 2.5, 0, 2 * Math.PI); g.fill(); }
    const last = sorted[sorted.length - 1];
    legend.push({ name, colour, last: last.v, lo: Math.min(...pts.map((p) => p.v)), hi: Math.max(...pts.map((p) => p.v)), n: pts.length });
  }
  return legend;
}

// The numeric value of an nRF Cloud message ({"appId":"TEMP","data":"23.5",...}), or null.
export function numericOf(msg) {
  if (!msg || typeof msg !== 'object' || typeof msg.appId !== 'string') return null;
  const v = typeof msg.data === 'number' ? msg.data : (typeof msg.data === 'string' && msg.data.trim() !== '' ? Number(msg.data) : NaN);
  return Number.isFinite(v) ? v : null;
}
