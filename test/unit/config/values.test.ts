// Unit tests for typed values (engine/global/config/values.ts) and the parameter table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError, parseBoolean, parseInteger, parseLong, parseTimeSeconds, splitList, splitListKeepingBraces } from '../../../engine/global/config/values.ts';
import { builtinParameter, builtinParameters, computeMynetworks, serviceParameters } from '../../../engine/global/params/index.ts';

test('booleans: yes/no in any case', () => {
  assert.equal(parseBoolean('biff', 'YES'), true);
  assert.equal(parseBoolean('biff', 'no'), false);
  assert.throws(() => parseBoolean('biff', 'maybe'), { message: 'bad boolean configuration: biff = maybe' });
});

test('integers and longs: whole value, range, bounds', () => {
  assert.equal(parseInteger('n', '42'), 42);
  assert.equal(parseInteger('n', ' -7'), -7);
  assert.throws(() => parseInteger('n', '42x'), { message: 'bad numerical configuration: n = 42x' });
  assert.throws(() => parseInteger('n', ''), ValueError);
  assert.throws(() => parseInteger('n', '3000000000'), ValueError);
  assert.throws(() => parseInteger('n', '0', { min: 1 }), { message: 'invalid n parameter value 0 < 1' });
  assert.throws(() => parseInteger('n', '9', { max: 5 }), { message: 'invalid n parameter value 9 > 5' });
  assert.equal(parseLong('message_size_limit', '3000000000'), 3000000000);
  assert.throws(() => parseLong('message_size_limit', '10MB'), { message: 'bad numerical configuration: message_size_limit = 10MB' });
});

test('times: units, default unit, only the first unit letter counts', () => {
  assert.equal(parseTimeSeconds('t', '90'), 90);
  assert.equal(parseTimeSeconds('t', '2', 'd'), 172800);
  assert.equal(parseTimeSeconds('t', '3m'), 180);
  assert.equal(parseTimeSeconds('t', '1w'), 604800);
  assert.equal(parseTimeSeconds('t', '5sx'), 5);
  assert.throws(() => parseTimeSeconds('t', '5x'), { message: 'parameter t: bad time value or unit: 5x' });
  assert.throws(() => parseTimeSeconds('t', '-1'), ValueError);
  assert.throws(() => parseTimeSeconds('t', '1', 's', { min: 10 }), { message: 'invalid t: 1 (min 10)' });
});

test('lists split on commas and whitespace; braces stay together', () => {
  assert.deepEqual(splitList(' a, b\tc,,\nd '), ['a', 'b', 'c', 'd']);
  assert.deepEqual(splitListKeepingBraces('hash:/x, inline:{ a=b, c=d } static:y'), ['hash:/x', 'inline:{ a=b, c=d }', 'static:y']);
});

test('the parameter table: types, units, bounds and classes', () => {
  assert.ok(builtinParameters().length >= 844);
  assert.equal(builtinParameter('message_size_limit')?.type, 'size');
  assert.equal(builtinParameter('maximal_queue_lifetime')?.details.unit, 'd');
  assert.equal(builtinParameter('biff')?.type, 'boolean');
  assert.equal(builtinParameter('default_process_limit')?.details.min, 1);
  assert.equal(builtinParameter('smtpd_recipient_restrictions')?.type, 'restrictions');
  assert.equal(builtinParameter('alias_maps')?.type, 'maps');
  assert.equal(builtinParameter('mydestination')?.type, 'list');
  assert.equal(builtinParameter('virtual_maps')?.details.legacy, true);
  assert.equal(builtinParameter('process_id')?.details.readOnly, true);
  assert.equal(builtinParameter('no_such_thing'), undefined);
  assert.deepEqual(serviceParameters('spawner', 'spawn').map((parameter) => parameter.name), ['spawner_time_limit']);
  assert.equal(serviceParameters('relay', 'smtp').length, 16);
  assert.deepEqual(serviceParameters('smtpd', 'smtpd'), []);
});

test('mynetworks from interfaces, by style', () => {
  const interfaces = ['127.0.0.1/8', '192.0.2.2/24', '::1/128', 'fd00::2/64'];
  const base = { interfaces, inetInterfaces: 'all', inetProtocols: 'all' };
  assert.equal(computeMynetworks({ ...base, style: 'subnet' }), '127.0.0.0/8 192.0.2.0/24 [::1]/128 [fd00::]/64');
  assert.equal(computeMynetworks({ ...base, style: 'host' }), '127.0.0.1/32 192.0.2.2/32 [::1]/128 [fd00::2]/128');
  assert.equal(computeMynetworks({ ...base, style: 'class' }), '127.0.0.0/8 192.0.2.0/24 [::1]/128 [fd00::]/64');
  assert.equal(computeMynetworks({ ...base, style: 'subnet', inetProtocols: 'ipv4' }), '127.0.0.0/8 192.0.2.0/24');
  assert.equal(computeMynetworks({ ...base, style: 'subnet', inetInterfaces: '127.0.0.1' }), '127.0.0.0/8');
  assert.equal(computeMynetworks({ ...base, style: 'subnet', inetInterfaces: 'loopback-only' }), '127.0.0.0/8 [::1]/128');
});
