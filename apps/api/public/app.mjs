// Progressive enhancement only: every page works without this file.
import { initAll } from '/assets/govuk-frontend.min.js';

initAll();

// Live run progress over server-sent events, where a page offers it (data-run-events="<url>").
const live = document.querySelector('[data-run-events]');
if (live && 'EventSource' in window) {
  const source = new EventSource(live.getAttribute('data-run-events'));
  const text = live.querySelector('[data-progress-text]');
  const bar = live.querySelector('progress');
  source.addEventListener('progress', (event) => {
    const p = JSON.parse(event.data).progress ?? {};
    const done = p.completed ?? 0;
    const total = p.total ?? 0;
    if (bar) {
      bar.max = total || 1;
      bar.value = done;
    }
    if (text) {
      text.textContent = `${done} of ${total} items done (${p.failed ?? 0} failed, ${p.errored ?? 0} errored)`;
    }
  });
  source.addEventListener('done', () => {
    source.close();
    window.location.reload();
  });
  // The server closed the stream on purpose (the session ended, the run cannot be read): do not reconnect.
  source.addEventListener('error', (event) => {
    if (event.data) {
      source.close();
      if (text) {
        text.textContent = JSON.parse(event.data).message ?? text.textContent;
      }
    }
  });
}
