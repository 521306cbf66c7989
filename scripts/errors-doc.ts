// Writes docs/errors.md from the error catalogue (`npm run docs:errors`); test/errors-doc.test.ts
// fails when the file differs from what this renders.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_GROUPS } from '../src/shared/error-catalogue.ts';
import type { ErrorSpec } from '../src/shared/error-spec.ts';

/** Where the generated document lives. */
export const ERRORS_DOC_URL = new URL('../docs/errors.md', import.meta.url);

const INTRO = `# Error codes

<!-- Generated from src/shared/error-catalogue.ts by \`npm run docs:errors\`; do not edit by hand. -->

Every error callbin reports carries one code of this catalogue: the \`code\` of an AppError, the
\`reason\` of the API's error envelope \`{error: {status, reason, message, request_id, details?}}\`,
the \`reason\` of each field issue in \`details\` (a schema's \`x-reason\` included), the \`code\` of
an activeflow action error and the \`reason\` of an event stream error message. Callers branch on the
code, never on the message text. The compiler refuses a code that is not listed here.

- **HTTP** is the status the API answers when the code is the error's own. A validation error always
  answers 400 \`INVALID_ARGUMENT\`; its reason is the first field issue's, so a code listed with
  another status (\`FLOW_NOT_FOUND\`, \`CUSTOMER_NOT_FOUND\`) answers 400 when it names a field.
- The envelope's \`status\` word follows the HTTP status: 400, 408, 414 and 431 \`INVALID_ARGUMENT\`,
  401 \`UNAUTHENTICATED\`, 403 \`PERMISSION_DENIED\`, 404 \`NOT_FOUND\`, 409 \`FAILED_PRECONDITION\`
  (\`ALREADY_EXISTS\` for a uniqueness conflict), 429 \`RESOURCE_EXHAUSTED\`, 500 \`INTERNAL\`,
  501 \`UNIMPLEMENTED\`, 503 \`UNAVAILABLE\`.
- 500 marks a code that never reaches a client on its own: the API answers \`INTERNAL\` and hides the
  message. Such codes show up in activeflow action errors, logs, and as field reasons (a media URL
  that could not be loaded is a 400 whose detail carries \`MEDIA_FETCH_FAILED\`).
- **SIP** is the SIP status the code goes with, where RFC 3261 or RFC 3264 gives one.
`;

function row(code: string, spec: ErrorSpec): string {
  return `| \`${code}\` | ${spec.http} | ${spec.sip ?? ''} | ${spec.message.replace(/\|/g, '\\|')} |`;
}

/** The whole of docs/errors.md, from the catalogue. */
export function renderErrorsDoc(): string {
  const sections = Object.entries(ERROR_GROUPS).map(([title, group]) => {
    const rows = Object.entries(group as Record<string, ErrorSpec>).map(([code, spec]) => row(code, spec));
    return [`## ${title}`, '', '| Code | HTTP | SIP | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
  });
  return `${INTRO}\n${sections.join('\n\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(ERRORS_DOC_URL, renderErrorsDoc());
  console.log(`wrote ${fileURLToPath(ERRORS_DOC_URL)}`);
}
