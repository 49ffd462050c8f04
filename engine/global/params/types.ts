// The shape of one row of the parameter table (table.generated.ts) and of the parameter
// information the rest of the engine reads. Written for engine/global/params/index.ts,
// engine/global/config/* and postconf. Models Postfix's CONFIG_*_TABLE declarations.

/** mtalab's types. Postfix itself knows bool/int/long/time/string; the string classes
 *  (list, maps, restrictions) say how a value is read, for the UI and the getters. */
export type ParameterType =
  | 'boolean'       // yes | no (case-insensitive)
  | 'integer'       // a C int
  | 'long'          // a C long
  | 'size'          // a long counting bytes (message_size_limit, ...)
  | 'time'          // a number with an optional unit s/m/h/d/w; `unit` is the default unit
  | 'string'
  | 'list'          // names or networks separated by commas and/or whitespace
  | 'maps'          // a list of type:name lookup tables
  | 'restrictions'; // an smtpd restriction list

export interface ParameterDetails {
  /** The default unit of a time parameter: s, m, h, d or w. */
  unit?: string;
  /** Bounds that Postfix's programs enforce (0 or absent: no bound). */
  min?: number;
  max?: number;
  /** Postfix never expands $name in the value (CONFIG_RAW_TABLE). */
  raw?: boolean;
  /** An int or bool whose default is written as a $name reference (CONFIG_N*_TABLE). */
  indirect?: boolean;
  /** The default is computed at run time (myhostname, mydomain, mynetworks, process_*). */
  computed?: boolean;
  /** Set by the program itself; a main.cf assignment is ignored with a warning. */
  readOnly?: boolean;
  /** Kept so that old configurations still work; not shown unless set. */
  legacy?: boolean;
  /** The Postfix source file that declares it, for the curious. */
  program: string;
}

export type ParameterRow = readonly [name: string, type: ParameterType, defaultValue: string, details: ParameterDetails];

/** Where a parameter name comes from, as postconf classes them. */
export type ParameterClass = 'builtin' | 'service' | 'user' | 'legacy';

export interface ParameterInfo {
  readonly name: string;
  readonly type: ParameterType;
  /** The default as `postconf -d` prints it (for computed ones: see defaults.ts). */
  readonly defaultValue: string;
  readonly details: ParameterDetails;
}
