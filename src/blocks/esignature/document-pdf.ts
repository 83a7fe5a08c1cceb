import { directionOf, formatDate, translator, type Locale } from '../../platform/i18n/index.ts';
import type { PdfBlock, PdfDocumentSpec } from '../../platform/pdf/index.ts';
import type { DocumentFact } from './index.ts';

export interface IssuedContent {
  id: string;
  locale: Locale;
  agencyName: string;
  title: string;
  body: string;
  holderName: string | null;
  facts: DocumentFact[];
  issuedAt: Date;
  validUntil: Date | null;
  verifyUrl: string;
}

/** The layout of an issued document, in its own language: who issued it, to whom, what it says, and where to check it. */
export function documentPdf(doc: IssuedContent): PdfDocumentSpec {
  const t = translator(doc.locale);
  const paragraphs: PdfBlock[] = doc.body
    .split('\n')
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => ({ kind: 'paragraph', text }));
  const facts = [
    ...doc.facts,
    { label: t('esignature.pdf.issuedBy'), value: doc.agencyName },
    { label: t('esignature.pdf.issuedOn'), value: formatDate(doc.locale, doc.issuedAt) },
    ...(doc.validUntil ? [{ label: t('esignature.pdf.validUntil'), value: formatDate(doc.locale, doc.validUntil) }] : []),
    { label: t('esignature.pdf.documentNumber'), value: doc.id },
  ];
  return {
    lang: doc.locale,
    direction: directionOf(doc.locale),
    info: { title: doc.title, author: doc.agencyName, created: doc.issuedAt },
    header: doc.agencyName,
    footer: t('esignature.pdf.footer', { id: doc.id }),
    blocks: [
      { kind: 'title', text: doc.title },
      ...(doc.holderName ? [{ kind: 'paragraph', text: t('esignature.pdf.issuedTo', { holder: doc.holderName }) } as const] : []),
      ...paragraphs,
      { kind: 'facts', rows: facts },
      { kind: 'qr', content: doc.verifyUrl, caption: [t('esignature.pdf.checkAt'), doc.verifyUrl] },
    ],
  };
}
