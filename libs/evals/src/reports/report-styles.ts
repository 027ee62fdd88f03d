import { chartFontStack } from './svg-charts';

// Styles: GOV.UK colours and spacing, a system font stack, readable on a phone and on paper.

export function styles(): string {
  return `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:${chartFontStack};font-size:1rem;line-height:1.45;color:#0b0c0c;background:#fff}
.width-container{max-width:1020px;margin:0 auto;padding:0 15px}
@media (min-width:40.0625em){.width-container{padding:0 30px}body{font-size:1.1875rem}}
.skip-link{position:absolute;left:-9999px;top:0}
.skip-link:focus{position:static;display:block;padding:10px 15px}
.header{background:#0b0c0c;color:#fff;border-bottom:10px solid #1d70b8}
.header__inner{padding-top:12px;padding-bottom:12px;font-weight:700;font-size:1.25rem}
.header__product{font-weight:400}
main{display:block;padding:30px 0 20px}
.caption{display:block;color:#505a5f;font-size:1.125rem;margin-bottom:5px}
h1{font-size:2rem;line-height:1.1;margin:0 0 20px;overflow-wrap:anywhere}
@media (min-width:40.0625em){h1{font-size:3rem}}
h2{font-size:1.5rem;line-height:1.2;margin:45px 0 15px;padding-top:15px;border-top:2px solid #0b0c0c}
@media (min-width:40.0625em){h2{font-size:2.25rem}}
h3{font-size:1.25rem;line-height:1.25;margin:35px 0 10px;overflow-wrap:anywhere}
@media (min-width:40.0625em){h3{font-size:1.5rem}}
h4{font-size:1.0625rem;margin:25px 0 10px;overflow-wrap:anywhere}
@media (min-width:40.0625em){h4{font-size:1.1875rem}}
p{margin:0 0 15px}
.lede{font-size:1.125rem}
.small{font-size:.875rem;font-weight:400}
.muted{color:#505a5f}
.hint{color:#505a5f;font-size:.9375rem}
a{color:#1d70b8;text-decoration:underline;text-decoration-thickness:max(1px,.0625rem);text-underline-offset:.15em}
a:visited{color:#4c2c92}
a:hover{color:#003078;text-decoration-thickness:max(3px,.1875rem)}
a:focus,summary:focus{outline:3px solid transparent;color:#0b0c0c;background-color:#fd0;box-shadow:0 -2px #fd0,0 4px #0b0c0c;text-decoration:none}
.table-wrap:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.875em;overflow-wrap:anywhere}
.hash{background:#f3f2f1;padding:0 4px}
.outcome{padding:20px 20px 5px;margin:0 0 20px;color:#fff;background:#505a5f;print-color-adjust:exact;-webkit-print-color-adjust:exact}
.outcome--passed{background:#00703c}
.outcome--failed{background:#d4351c}
.outcome--errored{background:#f47738;color:#0b0c0c}
.outcome__label{margin:0;font-size:1.125rem}
.outcome__value{margin:0 0 10px;font-size:2.5rem;line-height:1.1;font-weight:700}
.outcome__detail{font-size:1.1875rem;font-weight:700}
.outcome__list{margin:0 0 15px;padding-left:20px}
.contents{margin:0 0 20px}
.contents__heading{font-size:1.1875rem;margin:0 0 5px;padding:0;border:0}
.contents__list{margin:0;padding-left:20px}
.contents__list ol{padding-left:20px;list-style:lower-alpha}
.plain-list{margin:0;padding:0;list-style:none}
.notes{padding-left:20px;color:#505a5f}
.tag{display:inline-block;padding:2px 8px 1px;font-size:.875rem;line-height:1.25;font-weight:700;color:#fff;background:#505a5f;letter-spacing:.02em;vertical-align:middle;print-color-adjust:exact;-webkit-print-color-adjust:exact}
.tag--pass{background:#00703c}
.tag--fail{background:#d4351c}
.tag--blue{background:#1d70b8}
.tag--grey{background:#505a5f}
.summary-list{margin:0 0 25px}
.summary-list__row{border-bottom:1px solid #b1b4b6;padding:10px 0}
.summary-list dt{font-weight:700;margin:0 0 5px}
.summary-list dd{margin:0;overflow-wrap:anywhere}
@media (min-width:40.0625em){.summary-list__row{display:flex;gap:20px}.summary-list dt{flex:0 0 30%;margin:0}.summary-list dd{flex:1 1 auto}}
.table-wrap{overflow-x:auto;margin:0 0 25px;position:relative}
.table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
.table caption{text-align:left;font-weight:700;margin-bottom:10px}
.table th,.table td{padding:10px 20px 10px 0;border-bottom:1px solid #b1b4b6;text-align:left;vertical-align:top}
.table th:last-child,.table td:last-child{padding-right:0}
.table thead th{vertical-align:bottom}
.table .num{text-align:right;white-space:nowrap}
.table tfoot th,.table tfoot td{font-weight:700;border-bottom:0}
.data-table{font-size:.875rem}
.data-table th,.data-table td{padding:6px 12px 6px 0}
.data-table .reference th,.data-table .reference td{color:#505a5f;font-weight:400}
.chart{margin:0 0 30px;padding:0}
.chart__caption{font-weight:700;margin:0 0 10px}
.chart__body{display:grid;grid-template-columns:minmax(0,1fr);gap:15px}
@media (min-width:52em){.chart__body{grid-template-columns:minmax(0,3fr) minmax(0,2fr);align-items:start}}
.chart__table{margin:0}
.gh-chart{display:block;width:100%;height:auto;max-width:42rem}
.gap{font-weight:700;margin-top:10px}
.confusion .share{display:block;font-size:.75rem;color:#505a5f}
.confusion td{print-color-adjust:exact;-webkit-print-color-adjust:exact}
.cm-d1{background:#e5f1eb}.cm-d2{background:#cce2d8}.cm-d3{background:#99c5b1}.cm-d4{background:#66a98a}
.cm-o1{background:#fbeae7}.cm-o2{background:#f6d7d2}.cm-o3{background:#eeafa4}.cm-o4{background:#e5877a}
.cm-d2 .share,.cm-d3 .share,.cm-d4 .share,.cm-o2 .share,.cm-o3 .share,.cm-o4 .share{color:#0b0c0c}
.failure{border:1px solid #b1b4b6;border-left:5px solid #d4351c;padding:15px;margin:0 0 20px}
.failure h4{margin-top:0}
.failure__groups{margin:0 0 10px}
.group{display:inline-block;background:#f3f2f1;padding:2px 8px;margin:0 5px 5px 0;font-size:.875rem}
.failure__fields{margin:0}
.failure__fields dt{font-weight:700;margin:10px 0 5px}
.failure__fields dd{margin:0}
.text{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f2f1;border-left:4px solid #b1b4b6;padding:8px 12px;margin:0 0 5px}
.details{margin:5px 0 10px}
.details summary{color:#1d70b8;cursor:pointer;text-decoration:underline;display:inline-block}
.details[open] summary{margin-bottom:5px}
.footer{border-top:1px solid #b1b4b6;padding:20px 0 40px;color:#505a5f;font-size:.9375rem}
.visually-hidden{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;border:0!important;white-space:nowrap!important}
@media print{
body{font-size:10.5pt}
.skip-link,.contents{display:none}
.header{background:none;color:#0b0c0c;border-bottom:2px solid #0b0c0c}
.width-container{max-width:none;padding:0}
a,a:visited{color:#0b0c0c}
h2,h3,h4{break-after:avoid}
.chart,.failure,tr,.summary-list__row{break-inside:avoid}
.table-wrap{overflow:visible}
.chart__body{grid-template-columns:minmax(0,3fr) minmax(0,2fr)}
}
`.trim();
}
