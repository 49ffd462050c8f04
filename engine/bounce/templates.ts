// The bounce service's templates: the built-in ones, replaced kind by kind by those of
// bounce_template_file. As Postfix's bounce daemon does, the file is read when a process
// starts, before its first request of any kind -- here, on the first request after a start
// or a reload -- and a file that cannot be opened or has a malformed line is fatal (the
// process dies; process-start.ts models master's throttled respawns); each template is
// parsed on its first use, and a malformed one is logged once and replaced by the
// built-in template.
// Called by engine/bounce/api.ts. Trusts nothing in the template file.
// Models src/bounce/bounce.c (pre_jail_init, load_helper) and bounce_templates.c.

import type { MainConfig } from '../global/config/main-cf.ts';
import type { Reporter } from '../global/msg.ts';
import type { NoticeKind } from '../global/dsn/templates.ts';
import { builtInTemplate, splitTemplateFile, templateOf, type BounceTemplate, type TemplateBuffers } from '../global/dsn/template-file.ts';
import { errorText } from '../global/maps/source-lines.ts';
import type { FileSystem } from '../platform/types.ts';

/** One loaded set of templates: the file's buffers, parsed lazily. */
export class BounceTemplates {
  private readonly parsed = new Map<NoticeKind, BounceTemplate>();

  constructor(private readonly file: string, private readonly buffers: TemplateBuffers, private readonly reporter: Pick<Reporter, 'warn'>) {}

  /** The template of a kind; the first use of a file's template parses it (and warns). */
  get(kind: NoticeKind): BounceTemplate {
    let template = this.parsed.get(kind);
    if (template === undefined) {
      template = this.file === '' ? builtInTemplate(kind) : templateOf(kind, this.file, this.buffers, this.reporter);
      this.parsed.set(kind, template);
    }
    return template;
  }
}

/** The built-in templates only (bounce_template_file is empty). */
export function builtInTemplates(reporter: Pick<Reporter, 'warn'>): BounceTemplates {
  return new BounceTemplates('', new Map(), reporter);
}

/** Reads bounce_template_file (latin1, byte for byte) or gives the built-in templates. */
export async function loadBounceTemplates(fs: FileSystem, config: MainConfig, reporter: Pick<Reporter, 'warn' | 'fatal'>): Promise<BounceTemplates> {
  const file = config.get('bounce_template_file') ?? '';
  if (file === '') return builtInTemplates(reporter);
  let text: string;
  try {
    text = latin1Text(await fs.readFile(file));
  } catch (error) {
    return reporter.fatal(`open ${file}: ${errorText(error)}`);
  }
  return new BounceTemplates(file, splitTemplateFile(text, file, reporter), reporter);
}

/** Bytes as latin1 characters, so that the notice's latin1 encoding gives them back. */
function latin1Text(bytes: Uint8Array): string {
  const CHUNK_BYTES = 8192;
  let text = '';
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
    text += String.fromCharCode(...bytes.subarray(offset, offset + CHUNK_BYTES));
  }
  return text;
}
