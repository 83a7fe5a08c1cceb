/**
 * Files the demo attaches (plans, site photos) and the tests upload: tiny but real, since the
 * upload check reads the content, not the name.
 */

/** A tiny but real PDF: what the content check looks for is the %PDF- header. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** A real 1×1 PNG, as a phone camera's photo would be recognised by its content. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
