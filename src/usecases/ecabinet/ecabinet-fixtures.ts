import fs from 'node:fs/promises';
import type { TestApp } from '../../../test/support/app.ts';

/** Every e-mail written so far (without SMTP they are files), headers and quoted-printable body decoded. */
export async function sentMail(app: TestApp): Promise<string[]> {
  const dir = `${app.config.dataDir}/mail`;
  const files = await fs.readdir(dir).catch(() => [] as string[]);
  const decode = (text: string) => Buffer.from(text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
  return Promise.all(files.map(async (file) => decode(await fs.readFile(`${dir}/${file}`, 'utf8'))));
}
