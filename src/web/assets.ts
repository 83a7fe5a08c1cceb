import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');

export interface Asset {
  url: string;
  body: Buffer;
  type: string;
}

function load(file: string, type: string): Asset {
  const body = fs.readFileSync(path.join(dir, file));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const [name, ext] = file.split('.');
  return { url: `/assets/${name}.${hash}.${ext}`, body, type };
}

/** Assets are named by content hash, so they can be cached for a year and never go stale. */
export const stylesheet = load('site.css', 'text/css; charset=utf-8');
/** The live meeting page's progressive enhancement: from our own origin, as the Content-Security-Policy wants. */
export const liveMeetingScript = load('live-meeting.js', 'text/javascript; charset=utf-8');
export const ASSETS = new Map([stylesheet, liveMeetingScript].map((asset) => [asset.url, asset]));
