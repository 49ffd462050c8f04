// Every data file of every scenario (scenarios/<id>/..., not the TypeScript definitions,
// which the loader imports as code), bundled into the worker as text at build time, so a
// scenario loads offline with no server behind the page. scenarioTexts(id) hands the
// scenario loader one scenario's files keyed by their path relative to scenarios/<id>/.

const bundled: Record<string, string> = import.meta.glob(['../../../scenarios/*/**/*', '!**/*.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

const scenariosPrefix = '../../../scenarios/';

/** The files of scenario `id`, by relative path ("hosts/mail/etc/postfix/main.cf"). */
export function scenarioTexts(id: string): Map<string, string> {
  const prefix = `${scenariosPrefix}${id}/`;
  const texts = new Map<string, string>();
  for (const [path, text] of Object.entries(bundled)) {
    if (path.startsWith(prefix)) texts.set(path.slice(prefix.length), text);
  }
  return texts;
}
