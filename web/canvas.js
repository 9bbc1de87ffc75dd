// SPDX-License-Identifier: MIT
// canvas.js: what the portal's canvas drawings (chart.js, map.js) share: the theme's colours
// and a canvas sized for the screen's pixel density.

// The value of the CSS custom property name (e.g. '--muted'), grey when the theme lacks it.
export function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

// Sizes canvas to its laid-out size (600 x defaultHeight CSS pixels when it has none) times
// the device pixel ratio, so lines stay sharp, and clears it; {g, w, hgt}: the 2D context,
// scaled to draw in CSS pixels, and the size in CSS pixels.
export function prepareCanvas(canvas, defaultHeight) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600;
  const hgt = canvas.clientHeight || defaultHeight;
  canvas.width = w * dpr;
  canvas.height = hgt * dpr;
  const g = canvas.getContext('2d');
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, hgt);
  return { g, w, hgt };
}
