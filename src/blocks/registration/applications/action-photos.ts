import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../../platform/db/database.ts';
import { DOCUMENT_MEDIA_TYPES } from '../../../platform/files/detect-type.ts';
import { Problem } from '../../../platform/http/problem.ts';
import type { Principal } from '../../../platform/http/access.ts';
import type { ActionDefinition } from '../definition/schema.ts';
import type { RegistrationDeps } from './context.ts';
import { checkFile, storedFileName, type Upload } from './draft-application.ts';
import type { ApplicationRow } from './store.ts';

/** A photo checked and in the blob store, not yet part of the case. */
export interface StoredPhoto {
  inputId: string;
  hash: string;
  size: number;
  kind: string;
  fileName: string;
}

/**
 * Check the files sent with an officer's action against its `photos` inputs (by content, like
 * every upload) and put them in the blob store. They join the case only with the action itself
 * (`attachPhotos`, in its transaction), so a refused action leaves no document behind.
 */
export async function storePhotos(deps: RegistrationDeps, action: ActionDefinition | undefined, given: Record<string, unknown>, uploads: Upload[]): Promise<StoredPhoto[]> {
  const inputs = (action?.inputs ?? []).filter((i) => i.type === 'photos');
  for (const input of inputs) if (given[input.id] !== undefined) throw Problem.invalidField(`/body/inputs/${input.id}`, 'photos are sent as files (multipart/form-data), not as text', 'photos');
  const stored: StoredPhoto[] = [];
  for (const upload of uploads) {
    const input = inputs.find((i) => i.id === upload.documentType);
    const pointer = `/body/inputs/${upload.documentType}`;
    if (!input) throw Problem.invalidField(pointer, 'this action takes no files here', 'notAsked');
    const kind = await checkFile(upload, { accept: input.accept ?? [], maxSizeMb: input.maxSizeMb ?? 0 }, pointer);
    const blob = await deps.blobs.put(upload.bytes);
    stored.push({ inputId: input.id, hash: blob.hash, size: blob.size, kind, fileName: storedFileName(upload.fileName, `${input.id}.${kind}`) });
  }
  return stored;
}

/** The photos become documents of the case, and each input names its documents. */
export async function attachPhotos(trx: Tx, application: ApplicationRow, photos: StoredPhoto[], principal: Principal): Promise<Record<string, string[]>> {
  const byInput: Record<string, string[]> = {};
  for (const photo of photos) {
    const id = randomUUID();
    await sql`
      INSERT INTO registration_documents (id, application_id, document_type, blob_hash, file_name, media_type, size_bytes, uploaded_by)
      VALUES (${id}, ${application.id}, ${photo.inputId}, ${photo.hash}, ${photo.fileName}, ${DOCUMENT_MEDIA_TYPES[photo.kind]!}, ${photo.size}, ${principal.id})`.execute(trx);
    (byInput[photo.inputId] ??= []).push(id);
  }
  return byInput;
}
