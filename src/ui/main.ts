// Placeholder page until the web app issue lands: the machine is usable from the CLI (`npx odtab boot`).
const root = document.getElementById('root');
if (root) {
  root.innerHTML =
    '<h1>odtab</h1><p>The MIPS Malta machine runs headless for now: <code>npx odtab boot</code>. ' +
    'The browser front end comes next.</p>';
}
