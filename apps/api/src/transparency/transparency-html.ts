import { type TransparencySection } from '@gatehouse/domain';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – Gatehouse transparency register</title>
<style>
body{font-family:Arial,sans-serif;margin:0;color:#0b0c0c;line-height:1.4}
header{background:#0b0c0c;color:#fff;padding:10px 30px}header a{color:#fff}
main{max-width:960px;margin:0 auto;padding:20px 30px}
h1{font-size:2.25rem}h2{font-size:1.5rem;margin-top:2rem;border-bottom:1px solid #b1b4b6}
dl{display:grid;grid-template-columns:30% 70%;margin:0}dt{font-weight:700;padding:8px 0;border-bottom:1px solid #b1b4b6}
dd{margin:0;padding:8px 0;border-bottom:1px solid #b1b4b6;white-space:pre-line}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:8px;border-bottom:1px solid #b1b4b6}
a{color:#1d70b8}a:focus{outline:3px solid #fd0;background:#fd0;color:#0b0c0c}
.redacted{color:#505a5f;font-style:italic}
</style>
</head>
<body>
<header><a href="/public/transparency-records">Gatehouse transparency register</a></header>
<main id="main-content">
${body}
</main>
</body>
</html>
`;
}

export function renderRegisterPage(
  records: {
    id: string;
    name: string;
    organisation: string;
    stage: string;
    riskTier: string;
    updatedAt: string;
  }[],
): string {
  const rows = records
    .map(
      (r) =>
        `<tr><td><a href="/public/transparency-records/${escapeHtml(r.id)}">${escapeHtml(r.name)}</a></td><td>${escapeHtml(r.organisation)}</td><td>${escapeHtml(r.stage)}</td><td>${escapeHtml(r.riskTier)}</td><td>${escapeHtml(r.updatedAt.slice(0, 10))}</td></tr>`,
    )
    .join('\n');
  return page(
    'Algorithmic transparency records',
    `<h1>Algorithmic transparency records</h1>
<p>Published records of the AI tools these services use, in the shape of the Algorithmic Transparency Recording Standard.</p>
${
  records.length === 0
    ? '<p>No records are published yet.</p>'
    : `<table><caption class="visually-hidden">Published records</caption><thead><tr><th scope="col">Tool</th><th scope="col">Team</th><th scope="col">Stage</th><th scope="col">Risk tier</th><th scope="col">Updated</th></tr></thead><tbody>
${rows}
</tbody></table>`
}`,
  );
}

export function renderRecordPage(title: string, sections: TransparencySection[]): string {
  const body = sections
    .map(
      (section) =>
        `<h2>${escapeHtml(section.heading)}</h2>\n<dl>${section.rows
          .map(
            (row) =>
              `<dt>${escapeHtml(row.label)}</dt><dd${row.value.startsWith('Withheld:') ? ' class="redacted"' : ''}>${escapeHtml(row.value)}</dd>`,
          )
          .join('')}</dl>`,
    )
    .join('\n');
  return page(title, `<h1>${escapeHtml(title)}</h1>\n${body}`);
}
