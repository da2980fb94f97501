// Enhancements only: every page works without this file. Served from our origin (the CSP allows no inline script).
document.addEventListener('DOMContentLoaded', () => {
  // The brand's accent color, from the server-rendered attribute (no inline style needed).
  const color = document.body.dataset.brandColor;
  if (color) document.documentElement.style.setProperty('--brand', color);

  // Copy buttons are shown only where the clipboard can be written.
  for (const button of document.querySelectorAll('button[data-copy]')) {
    if (!navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener('click', async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      await navigator.clipboard.writeText(source.textContent.trim());
      const label = button.textContent;
      button.textContent = 'Copied';
      setTimeout(() => {
        button.textContent = label;
      }, 2000);
    });
  }

  // Focus the error summary so a screen reader reads it and the keyboard starts there.
  const summary = document.querySelector('.alert.error[tabindex="-1"]');
  if (summary && !document.querySelector('[autofocus]')) summary.focus();
});
