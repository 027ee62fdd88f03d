// Progressive enhancement of the review pages: keyboard shortcuts on an item, and reading a chosen JSONL
// file into the import box. Both pages work without this file (Tab, Space and Enter; pasting the JSONL).

/** Typing in a text field, a select or an editable region: no shortcut may fire there. */
const typing = (el) =>
  el instanceof HTMLTextAreaElement ||
  el instanceof HTMLSelectElement ||
  (el instanceof HTMLElement && el.isContentEditable) ||
  (el instanceof HTMLInputElement && !['radio', 'checkbox', 'button', 'submit', 'reset'].includes(el.type));

const form = document.querySelector('form[data-review-form]');
if (form) {
  const go = (href) => {
    if (href) {
      window.location.assign(href);
    }
  };
  const save = () => form.requestSubmit(form.querySelector('#save') ?? undefined);
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    const target = event.target;
    if (typing(target)) {
      return;
    }
    const onRadio = target instanceof HTMLInputElement && target.type === 'radio';
    switch (event.key) {
      case 'a':
        for (const radio of form.querySelectorAll('input[type=radio][name^="agree-"][value="agree"]')) {
          radio.checked = true;
        }
        save();
        break;
      case 'd': {
        const disagree = form.querySelector('input[type=radio][name^="agree-"][value="disagree"]');
        if (!disagree) {
          return;
        }
        disagree.checked = true;
        disagree.focus();
        break;
      }
      case 'n':
        form.querySelector('#note')?.focus();
        break;
      case 'j':
        go(form.dataset.nextHref);
        break;
      case 'k':
        go(form.dataset.previousHref);
        break;
      case 'ArrowRight':
      case 'ArrowLeft':
        // On an answer the arrow keys move between its choices, as the browser does.
        if (onRadio || target instanceof HTMLInputElement) {
          return;
        }
        go(event.key === 'ArrowRight' ? form.dataset.nextHref : form.dataset.previousHref);
        break;
      case 'Enter':
        if (!(target instanceof HTMLInputElement) || target.type !== 'radio' || !form.contains(target)) {
          return;
        }
        save();
        break;
      default:
        return;
    }
    event.preventDefault();
  });
}

// The import form: a chosen file's text goes into the box, where it can be checked before importing.
const fileField = document.querySelector('[data-jsonl-file]');
const box = document.querySelector('#jsonl');
if (fileField && box) {
  fileField.hidden = false;
  const input = fileField.querySelector('input[type=file]');
  input?.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (file) {
      box.value = await file.text();
      box.focus();
    }
  });
}
