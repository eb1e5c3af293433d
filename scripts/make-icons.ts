// Renders the app and tray icons from resources/glyph.svg in headless Chromium (run by hand after
// changing the glyph: `node --import tsx scripts/make-icons.ts`); the PNGs are committed.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const glyph = readFileSync(new URL('../resources/glyph.svg', import.meta.url), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
const out = (name: string): string => new URL(`../resources/${name}`, import.meta.url).pathname;

/** [file, size in px, how the glyph is drawn] */
const ICONS: [string, number, string][] = [
  // Linux/Windows tray: the glyph in the accent colour (the tray's background may be light or dark).
  ['tray.png', 16, 'accent'],
  ['tray@2x.png', 32, 'accent'],
  // macOS menu bar: a template image, black with alpha; macOS recolours it.
  ['trayTemplate.png', 16, 'template'],
  ['trayTemplate@2x.png', 32, 'template'],
  // The app icon (electron-builder makes the .icns/.ico from it): white glyph on an accent tile.
  ['icon.png', 512, 'tile'],
];

const html = (size: number, style: string): string => {
  const svg = style === 'template' ? glyph : glyph.replace('fill="#000"', `fill="${style === 'tile' ? '#fff' : '#3b5bdb'}"`);
  const inner = style === 'tile' ? `<div style="width:${size}px;height:${size}px;border-radius:${size * 0.22}px;background:#3b5bdb;display:grid;place-items:center"><div style="width:${size * 0.62}px;height:${size * 0.62}px">${svg}</div></div>` : `<div style="width:${size}px;height:${size}px">${svg}</div>`;
  return `<!doctype html><html><body style="margin:0;background:transparent">${inner.replace('<svg ', '<svg width="100%" height="100%" ')}</body></html>`;
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
try {
  for (const [file, size, style] of ICONS) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(html(size, style));
    await page.screenshot({ path: out(file), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    await page.close();
  }
} finally {
  await browser.close();
}
