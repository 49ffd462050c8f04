// Defaults that are computed rather than compiled in: myhostname, mydomain, mynetworks,
// process_id, process_name, service_name and config_directory; and the "$global_name"
// defaults of per-service parameters. Called by main-cf.ts and postconf. Trusts the
// lookup it is given to return main.cf's raw values. Models postconf_builtin.c's
// pcf_check_myhostname/pcf_check_mydomainname/pcf_mynetworks and mail_params.c.

import { builtinParameter, computeMynetworks, defaultMydomain, defaultMyhostname, type MachineFacts } from '../params/index.ts';
import { serviceParameters } from '../params/services.ts';

/** Raw explicit value of a parameter (main.cf or override), or undefined. */
export type ExplicitLookup = (name: string) => string | undefined;
/** Expands $name in a value with the caller's lookup rules. */
export type Expander = (value: string) => string;

/** The computed default of `name`, or undefined when its default is not computed.
 *  `explicit` gives main.cf's values (pass one that always answers undefined for -d). */
export function computedDefault(name: string, machine: MachineFacts, explicit: ExplicitLookup, expand: Expander): string | undefined {
  switch (name) {
    case 'myhostname': {
      const mydomain = explicit('mydomain');
      return defaultMyhostname(machine.hostName, mydomain === undefined ? undefined : expand(mydomain));
    }
    case 'mydomain': {
      const myhostname = explicit('myhostname');
      return defaultMydomain(myhostname === undefined ? computedDefault('myhostname', machine, explicit, expand) ?? '' : expand(myhostname));
    }
    case 'mynetworks': {
      const valueOf = (parameter: string): string => expand(explicit(parameter) ?? builtinParameter(parameter)?.defaultValue ?? '');
      return computeMynetworks({
        interfaces: machine.interfaces,
        style: valueOf('mynetworks_style'),
        inetInterfaces: valueOf('inet_interfaces'),
        inetProtocols: valueOf('inet_protocols'),
      });
    }
    case 'process_id': return String(machine.pid);
    case 'process_name': return machine.processName;
    case 'service_name': return '';
    case 'config_directory': return machine.defaultConfigDirectory;
    default: return undefined;
  }
}

const SERVICE_SUFFIX_PROBE = 'x';

/** "$default_..." for a name shaped like a per-service parameter ("relay_recipient_limit"),
 *  whatever the service; undefined otherwise. The engine's services use it to read their
 *  own per-transport settings; postconf lists only master.cf's services. */
export function serviceDefault(name: string): string | undefined {
  for (const parameter of serviceParameters(SERVICE_SUFFIX_PROBE, 'pipe')) {
    const suffix = parameter.name.slice(SERVICE_SUFFIX_PROBE.length);
    if (name.length > suffix.length && name.endsWith(suffix)) return `$${parameter.globalName}`;
  }
  return undefined;
}
