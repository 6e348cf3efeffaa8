/**
 * The pictures of docs/: each diagram's Mermaid source rendered to PNG by mermaid-cli in Debian's
 * Chromium (scripts/puppeteer.json names it; `.puppeteerrc.cjs` keeps `npm ci` from downloading a
 * browser of its own). Each PNG carries the SHA-256 of what it was rendered from in a tEXt chunk,
 * so a test can tell a stale picture without a browser.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { PROJECT_ROOT } from '../engine/synth';

export const PUPPETEER_CONFIG = path.join(PROJECT_ROOT, 'scripts', 'puppeteer.json');

/**
 * How the pictures are rendered. The page is wider than any diagram, so each is drawn at its
 * natural size: 16 px text, which stays above 12 px when a page 900 px wide scales the widest down.
 */
export const RENDER = { pageWidth: 3000, scale: 1, background: 'white' } as const;

const KEYWORD = 'mermaid-source-sha256';
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What a picture is rendered from: its Mermaid source and the rendering settings. */
export function sourceKey(mermaid: string): string {
  return createHash('sha256').update(JSON.stringify(RENDER)).update('\n').update(mermaid).digest('hex');
}

interface Chunk {
  type: string;
  data: Buffer;
  /** Offset of the chunk's length field. */
  at: number;
}

function chunks(png: Buffer): Chunk[] {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  const out: Chunk[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    out.push({ type, data: png.subarray(at + 8, at + 8 + length), at });
    at += 12 + length;
  }
  return out;
}

/** The picture with its source key in a tEXt chunk, just before IEND. */
export function withSourceKey(png: Buffer, key: string): Buffer {
  const end = chunks(png).find((c) => c.type === 'IEND');
  if (!end) throw new Error('PNG without IEND');
  const body = Buffer.concat([Buffer.from('tEXt', 'latin1'), Buffer.from(`${KEYWORD}\0${key}`, 'latin1')]);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), 4 + body.length);
  return Buffer.concat([png.subarray(0, end.at), chunk, png.subarray(end.at)]);
}

/** The source key a picture was rendered from, if it has one. */
export function sourceKeyOf(png: Buffer): string | undefined {
  for (const c of chunks(png)) {
    if (c.type !== 'tEXt') continue;
    const text = c.data.toString('latin1');
    if (text.startsWith(`${KEYWORD}\0`)) return text.slice(KEYWORD.length + 1);
  }
  return undefined;
}

/** A PNG's size in pixels, from its IHDR. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const header = chunks(png)[0];
  return { width: header.data.readUInt32BE(0), height: header.data.readUInt32BE(4) };
}

/** Whether `file` is a picture rendered from this Mermaid source with these settings. */
export function isCurrent(mermaid: string, file: string): boolean {
  return existsSync(file) && sourceKeyOf(readFileSync(file)) === sourceKey(mermaid);
}

/** Why pictures cannot be rendered here, or undefined when they can. */
export function cannotRender(): string | undefined {
  const { executablePath } = JSON.parse(readFileSync(PUPPETEER_CONFIG, 'utf8')) as { executablePath: string };
  if (!existsSync(executablePath)) {
    return `no Chromium at ${executablePath} (apt-get install chromium)`;
  }
  return undefined;
}

/** Renders a diagram's Mermaid source to `file`, a PNG that records what it was rendered from. */
export function renderPng(mermaid: string, file: string): { width: number; height: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'diagram-'));
  try {
    const input = path.join(dir, 'diagram.mmd');
    const output = path.join(dir, 'diagram.png');
    writeFileSync(input, mermaid);
    execFileSync(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'mmdc'),
      [
        ...['--quiet', '--puppeteerConfigFile', PUPPETEER_CONFIG],
        ...['--width', String(RENDER.pageWidth), '--scale', String(RENDER.scale)],
        ...['--backgroundColor', RENDER.background, '--input', input, '--output', output],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const png = readFileSync(output);
    writeFileSync(file, withSourceKey(png, sourceKey(mermaid)));
    return pngSize(png);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
