import { fileTypeFromBuffer } from 'file-type';

/** The document kinds a service definition may accept, and the media types they are served as. */
export const DOCUMENT_MEDIA_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  tiff: 'image/tiff',
  dwg: 'image/vnd.dwg',
  dxf: 'image/vnd.dxf',
  zip: 'application/zip',
};

const FROM_DETECTED: Record<string, string> = { pdf: 'pdf', png: 'png', jpg: 'jpeg', webp: 'webp', tif: 'tiff', dwg: 'dwg', zip: 'zip' };

/**
 * What a file really is, from its bytes (magic numbers), never from its name or the browser's
 * claim. DXF drawings are text, recognised by their section header.
 */
export async function detectDocumentKind(bytes: Buffer): Promise<string | null> {
  const detected = await fileTypeFromBuffer(bytes);
  if (detected) return FROM_DETECTED[detected.ext] ?? null;
  const head = bytes.subarray(0, 64).toString('latin1');
  if (/^\s*0\s*\r?\n\s*SECTION\s*\r?\n/.test(head)) return 'dxf';
  return null;
}
