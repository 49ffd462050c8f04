// The shell's network tools on a booted two-hosts World, driven by keystrokes with the
// World's scheduler run by the test (as the browser's pacer would, without a wall clock):
// telnet from a to b's port 25 for a hand-typed SMTP dialog that ends in bob's mailbox;
// nc; dig and host against the zone (CNAME, PTR, TXT, NXDOMAIN, SERVFAIL); tail -f on the
// maillog while mail moves; ping over a link with latency and over a link that is down;
// ip addr and hostname -I; an outside host without an MTA. Every wait is bounded in steps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as macrotask } from 'node:timers/promises';
import { createShell, type Shell } from '../../../engine/shell/index.ts';
import { createScenarioHosts, type ScenarioDefinition } from '../../../engine/sim/scenario.ts';
import { bootWorld, type World } from '../../../engine/sim/world.ts';
import { readScenarioTexts } from '../../../scenarios/load-from-disk.ts';
import { twoHosts } from '../../../scenarios/two-hosts/scenario.ts';

const A = 'a.example.test';
const B = 'b.example.test';
/** Scheduler steps one wait may take. */
const WAIT_STEPS_MAX = 400;
const STEP_MS = 50;

interface Terminal {
  world: World;
  shell: Shell;
  /** Everything written so far, CRLF as "\n". */
  output(): string;
  /** Types raw keys; returns after the shell has taken them. */
  type(data: string): Promise<void>;
  /** Drives the world until the output written since `mark` matches; returns that output. */
  waitFor(pattern: RegExp, mark: number, what?: string): Promise<string>;
  /** Types a command line and waits for the next prompt; returns the lines between. */
  run(line: string): Promise<string>;
  readFile(host: string, path: string): Promise<string>;
}

async function openTerminal(on = A, definition: ScenarioDefinition = twoHosts, extraTexts: Record<string, string> = {}): Promise<Terminal> {
  const texts = new Map([...readScenarioTexts('two-hosts'), ...Object.entries(extraTexts)]);
  const loaded = await createScenarioHosts(definition, texts, { settle: () => macrotask() });
  const world = await bootWorld(loaded);
  let written = '';
  const hostDefinition = definition.hosts.find((entry) => entry.name === on)!;
  const shell = createShell({
    host: world.host(on)!.host, write: (data) => { written += data; }, columns: 120,
    ...(hostDefinition.mta === false ? { mta: false } : {}),
  });
  shell.start();
  const output = () => written.replace(/\r\n/g, '\n');
  const short = on.split('.')[0]!;
  const prompt = new RegExp(`root@${short}:~# $`);
  const terminal: Terminal = {
    world, shell, output,
    async type(data) {
      shell.input(data);
      for (let turn = 0; turn < 3; turn++) await macrotask();
    },
    async waitFor(pattern, mark, what = String(pattern)) {
      for (let step = 0; step < WAIT_STEPS_MAX; step++) {
        const since = output().slice(mark);
        if (pattern.test(since)) return since;
        await macrotask();
        await world.runDue(world.nowMs() + STEP_MS, 1000);
      }
      throw new Error(`SEED=${world.seed} scenario=${world.scenarioId}: waited for ${what}; the terminal shows:\n${output().slice(mark)}`);
    },
    async run(line) {
      const mark = output().length;
      await terminal.type(`${line}\r`);
      const since = await terminal.waitFor(new RegExp(`\\n[^\\n]*${prompt.source}`), mark, `the prompt after ${line}`);
      const body = since.slice(since.indexOf('\n') + 1);
      return body.replace(prompt, '');
    },
    async readFile(host, path) {
      return new TextDecoder().decode(await world.host(host)!.platform.fs.readFile(path));
    },
  };
  await terminal.waitFor(prompt, 0, 'the first prompt');
  return terminal;
}

/** Types one line of the SMTP dialog and waits for the server's reply to it. */
async function say(terminal: Terminal, line: string, reply: RegExp): Promise<string> {
  const mark = terminal.output().length;
  await terminal.type(`${line}\r`);
  return terminal.waitFor(reply, mark, `the reply to ${line}`);
}

test('telnet from a to b port 25: a hand-typed SMTP dialog delivers to bob\'s mailbox', async () => {
  const terminal = await openTerminal();
  const mark = terminal.output().length;
  await terminal.type('telnet b.example.test 25\r');
  const opening = await terminal.waitFor(/220 b\.example\.test ESMTP Postfix/, mark, 'the greeting');
  assert.match(opening, /^telnet b\.example\.test 25\nTrying 198\.51\.100\.12\.\.\.\nConnected to b\.example\.test\.\nEscape character is '\^\]'\.\n220 b\.example\.test ESMTP Postfix/);
  const ehlo = await say(terminal, 'EHLO a.example.test', /\n250 [^\n]*\n/);
  assert.match(ehlo, /^EHLO a\.example\.test\n250-b\.example\.test\n(250-[^\n]+\n)*250 [^\n]+\n$/);
  assert.match(await say(terminal, 'MAIL FROM:<alice@a.example.test>', /250 2\.1\.0 Ok\n/), /250 2\.1\.0 Ok/);
  assert.match(await say(terminal, 'RCPT TO:<bob@b.example.test>', /250 2\.1\.5 Ok\n/), /250 2\.1\.5 Ok/);
  assert.match(await say(terminal, 'DATA', /354 [^\n]*\n/), /354 End data with <CR><LF>\.<CR><LF>/);
  for (const line of ['From: alice@a.example.test', 'To: bob@b.example.test', 'Subject: typed by hand', '', 'Hello Bob, typed in a terminal.']) {
    await terminal.type(`${line}\r`);
  }
  const queued = await say(terminal, '.', /250 2\.0\.0 Ok: queued as \w+\n/);
  const queueId = /queued as (\w+)/.exec(queued)![1]!;
  const bye = await say(terminal, 'QUIT', /Connection closed by foreign host\.\n[^\n]*# $/);
  assert.match(bye, /221 2\.0\.0 Bye\nConnection closed by foreign host\.\nroot@a:~# $/);
  assert.equal(terminal.shell.lastStatus, 1, 'telnet exits 1 when the server closes');
  await terminal.world.runUntilQuiet({ eventsMax: 50_000 });
  const mailbox = await terminal.readFile(B, '/var/mail/bob');
  assert.match(mailbox, /\nSubject: typed by hand\n/);
  assert.match(mailbox, new RegExp(`with ESMTP id ${queueId}\\b`));
  assert.match(mailbox, /\nHello Bob, typed in a terminal\.\n/);
  const log = (await terminal.world.host(B)!.maillog()).join('\n');
  assert.match(log, new RegExp(`${queueId}: client=a\\.example\\.test\\[192\\.0\\.2\\.11\\]`));
});

test('telnet: Ctrl-] then quit closes the connection; refused and unknown hosts', async () => {
  const terminal = await openTerminal();
  let mark = terminal.output().length;
  await terminal.type('telnet b.example.test smtp\r');
  await terminal.waitFor(/220 b\.example\.test ESMTP/, mark, 'the greeting');
  mark = terminal.output().length;
  await terminal.type('\x1d');
  await terminal.waitFor(/\^\]\ntelnet> $/, mark, 'the telnet> prompt');
  await terminal.type('quit\r');
  const after = await terminal.waitFor(/Connection closed\.\nroot@a:~# $/, mark, 'the prompt after quit');
  assert.doesNotMatch(after, /foreign host/);
  assert.equal(terminal.shell.lastStatus, 0);
  assert.equal(await terminal.run('telnet b.example.test 26'),
    'Trying 198.51.100.12...\ntelnet: Unable to connect to remote host: Connection refused\n');
  assert.equal(await terminal.run('telnet nosuch.example.test 25'),
    'telnet: could not resolve nosuch.example.test/25: Name or service not known\n');
  assert.equal(terminal.shell.lastStatus, 1);
});

test('nc: lines go out with LF, -C with CRLF; Ctrl-D and Ctrl-C end it; the server\'s close ends it', async () => {
  const terminal = await openTerminal();
  let mark = terminal.output().length;
  await terminal.type('nc -C b.example.test 25\r');
  const greeting = await terminal.waitFor(/220 b\.example\.test ESMTP[^\n]*\n/, mark, 'the greeting');
  assert.doesNotMatch(greeting, /Trying|Connected/);
  await say(terminal, 'HELO a.example.test', /250 b\.example\.test\n/);
  mark = terminal.output().length;
  await terminal.type('\x04');
  await terminal.waitFor(/root@a:~# $/, mark, 'the prompt after Ctrl-D');
  assert.equal(terminal.shell.lastStatus, 0);

  mark = terminal.output().length;
  await terminal.type('nc b.example.test 25\r');
  await terminal.waitFor(/220 b\.example\.test ESMTP[^\n]*\n/, mark, 'the greeting');
  await say(terminal, 'NOOP', /250 2\.0\.0 Ok\n/);
  mark = terminal.output().length;
  await terminal.type('\x03');
  await terminal.waitFor(/\^C\nroot@a:~# $/, mark, 'the prompt after Ctrl-C');
  assert.equal(terminal.shell.lastStatus, 130);

  mark = terminal.output().length;
  await terminal.type('nc -v b.example.test 25\r');
  await terminal.waitFor(/220 b\.example\.test ESMTP[^\n]*\n/, mark, 'the greeting');
  assert.match(terminal.output().slice(mark), /Connection to b\.example\.test \(198\.51\.100\.12\) 25 port \[tcp\/smtp\] succeeded!\n/);
  const quit = await say(terminal, 'QUIT', /221 2\.0\.0 Bye\n[^\n]*# $/);
  assert.match(quit, /221 2\.0\.0 Bye\nroot@a:~# $/);
  assert.equal(await terminal.run('nc b.example.test 26'), 'nc: connect to b.example.test port 26 (tcp) failed: Connection refused\n');
});

test('dig: answer sections with TTL and class, CNAME before A, PTR with -x, TXT, MX, NXDOMAIN, SERVFAIL, +short', async () => {
  const terminal = await openTerminal();
  const a = await terminal.run('dig b.example.test');
  assert.match(a, /^\n; <<>> DiG 9\.18\.[^ ]+ <<>> b\.example\.test\n;; global options: \+cmd\n;; Got answer:\n/);
  assert.match(a, /;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+\n;; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n/);
  assert.match(a, /;; QUESTION SECTION:\n;b\.example\.test\.\t\tIN\tA\n\n;; ANSWER SECTION:\nb\.example\.test\.\t\t300\tIN\tA\t198\.51\.100\.12\n\n;; Query time: \d+ msec\n;; SERVER: 127\.0\.0\.1#53\(127\.0\.0\.1\) \(UDP\)\n;; WHEN: \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}\n;; MSG SIZE  rcvd: 59\n\n$/);
  const alias = await terminal.run('dig mail.b.example.test');
  assert.match(alias, /;; ANSWER SECTION:\nmail\.b\.example\.test\.\t300\tIN\tCNAME\tb\.example\.test\.\nb\.example\.test\.\t\t300\tIN\tA\t198\.51\.100\.12\n/);
  assert.match(alias, /ANSWER: 2,/);
  const reverse = await terminal.run('dig -x 198.51.100.12');
  assert.match(reverse, /;12\.100\.51\.198\.in-addr\.arpa\. \tIN\tPTR\n/);
  assert.match(reverse, /\n12\.100\.51\.198\.in-addr\.arpa\. 300\tIN\tPTR\tb\.example\.test\.\n/);
  assert.match(await terminal.run('dig example.test TXT'), /\nexample\.test\.\t\t300\tIN\tTXT\t"v=spf1 ip4:192\.0\.2\.11 ip4:198\.51\.100\.12 -all"\n/);
  assert.match(await terminal.run('dig mx a.example.test'), /\na\.example\.test\.\t\t300\tIN\tMX\t10 a\.example\.test\.\n/);
  const missing = await terminal.run('dig nosuch.example.test');
  assert.match(missing, /status: NXDOMAIN, id: \d+\n;; flags: qr rd ra; QUERY: 1, ANSWER: 0,/);
  assert.doesNotMatch(missing, /ANSWER SECTION/);
  assert.equal(await terminal.run('dig +short mail.b.example.test'), 'b.example.test.\n198.51.100.12\n');
  assert.equal(await terminal.run('dig b.example.test aaaa +short'), '');
  terminal.world.zone.failures = { 'b.example.test': 'SERVFAIL' };
  assert.match(await terminal.run('dig b.example.test'), /status: SERVFAIL,/);
  assert.match(await terminal.run('dig @198.51.100.12 a.example.test'), /<<>> @198\.51\.100\.12 a\.example\.test\n; \(1 server found\)\n[^]*;; SERVER: 198\.51\.100\.12#53\(198\.51\.100\.12\) \(UDP\)\n/);
});

test('host: addresses and mail exchangers, aliases, PTR, -t TYPE, not found', async () => {
  const terminal = await openTerminal();
  assert.equal(await terminal.run('host b.example.test'),
    'b.example.test has address 198.51.100.12\nb.example.test mail is handled by 10 b.example.test.\n');
  assert.equal(await terminal.run('host mail.b.example.test'),
    'mail.b.example.test is an alias for b.example.test.\nb.example.test has address 198.51.100.12\nb.example.test mail is handled by 10 b.example.test.\n');
  assert.equal(await terminal.run('host 198.51.100.12'), '12.100.51.198.in-addr.arpa domain name pointer b.example.test.\n');
  assert.equal(await terminal.run('host -t MX a.example.test'), 'a.example.test mail is handled by 10 a.example.test.\n');
  assert.equal(await terminal.run('host -t txt example.test'), 'example.test descriptive text "v=spf1 ip4:192.0.2.11 ip4:198.51.100.12 -all"\n');
  assert.equal(await terminal.run('host -t AAAA b.example.test'), 'b.example.test has no AAAA record\n');
  assert.equal(await terminal.run('host nosuch.example.test'), 'Host nosuch.example.test not found: 3(NXDOMAIN)\n');
  assert.equal(terminal.shell.lastStatus, 1);
  terminal.world.zone.failures = { 'a.example.test': 'SERVFAIL' };
  assert.equal(await terminal.run('host a.example.test'), 'Host a.example.test not found: 2(SERVFAIL)\n');
});

test('tail -f follows /var/log/maillog as mail moves, until Ctrl-C', async () => {
  const terminal = await openTerminal();
  await terminal.world.runUntilQuiet({ eventsMax: 50_000 });
  let mark = terminal.output().length;
  await terminal.type('tail -n 1 -f /var/log/maillog\r');
  const first = await terminal.waitFor(/postfix\/[^\n]+\n$/, mark, 'the last maillog line');
  assert.equal(first.split('\n').filter((line) => line.includes('postfix/')).length, 1, first);
  const a = terminal.world.host(A)!;
  mark = terminal.output().length;
  void a.command(['sendmail', '-f', 'root@a.example.test', 'carol@a.example.test'], { stdin: 'Subject: followed\n\nwatch this\n' });
  const followed = await terminal.waitFor(/postfix\/local\[\d+\]: \w+: to=<carol@a\.example\.test>[^\n]*status=sent/, mark, 'the delivery line');
  assert.match(followed, /postfix\/pickup\[\d+\]: \w+: uid=0 from=<root@a\.example\.test>/);
  mark = terminal.output().length;
  await terminal.type('\x03');
  await terminal.waitFor(/\^C\nroot@a:~# $/, mark, 'the prompt after Ctrl-C');
  assert.equal(terminal.shell.lastStatus, 130);
  // After Ctrl-C nothing more is shown, and the polling timer is gone.
  mark = terminal.output().length;
  void a.command(['sendmail', '-f', 'root@a.example.test', 'carol@a.example.test'], { stdin: 'Subject: unseen\n\n.\n' });
  await terminal.world.runUntilQuiet({ eventsMax: 50_000 });
  assert.equal(terminal.output().slice(mark), '');
  assert.match(await terminal.run('tail -f /var/log/nosuch'), /^tail: cannot open '\/var\/log\/nosuch' for reading: No such file or directory\ntail: no files remaining\n$/);
  assert.equal(await terminal.run('echo one > /tmp/t; echo two >> /tmp/t; tail -n 1 /tmp/t'), 'two\n');
});

test('ping: the link\'s round trip, -c N, loss over a link that is down, unknown host', async () => {
  const terminal = await openTerminal();
  terminal.world.network.setLatency(A, B, 20);
  const out = await terminal.run('ping -c 3 b.example.test');
  assert.equal(out, 'PING b.example.test (198.51.100.12) 56(84) bytes of data.\n'
    + '64 bytes from b.example.test (198.51.100.12): icmp_seq=1 ttl=64 time=40.0 ms\n'
    + '64 bytes from b.example.test (198.51.100.12): icmp_seq=2 ttl=64 time=40.0 ms\n'
    + '64 bytes from b.example.test (198.51.100.12): icmp_seq=3 ttl=64 time=40.0 ms\n'
    + '\n--- b.example.test ping statistics ---\n'
    + '3 packets transmitted, 3 received, 0% packet loss, time 2040ms\n'
    + 'rtt min/avg/max/mdev = 40.000/40.000/40.000/0.000 ms\n');
  assert.equal(terminal.shell.lastStatus, 0);
  assert.match(await terminal.run('ping -c 1 198.51.100.12'), /^PING 198\.51\.100\.12 \(198\.51\.100\.12\) 56\(84\) bytes of data\.\n64 bytes from 198\.51\.100\.12: icmp_seq=1 ttl=64 time=40\.0 ms\n/);
  assert.equal((await terminal.run('ping b.example.test')).split('\n').filter((line) => line.startsWith('64 bytes')).length, 4);
  terminal.world.network.setLinkUp(A, B, false);
  assert.match(await terminal.run('ping -c 2 b.example.test'), /\n2 packets transmitted, 0 received, 100% packet loss, time \d+ms\n$/);
  assert.equal(terminal.shell.lastStatus, 1);
  assert.match(await terminal.run('ping -c 1 203.0.113.99'), /From 192\.0\.2\.11 icmp_seq=1 Destination Host Unreachable\n/);
  assert.equal(await terminal.run('ping nosuch.example.test'), 'ping: nosuch.example.test: Name or service not known\n');
  assert.equal(terminal.shell.lastStatus, 2);
});

test('ip addr lists lo and the host\'s address; hostname -I', async () => {
  const terminal = await openTerminal();
  const out = await terminal.run('ip addr');
  assert.match(out, /^1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link\/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127\.0\.0\.1\/8 scope host lo\n/);
  assert.match(out, /\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 [^\n]+\n    link\/ether 02:00:c0:00:02:0b brd ff:ff:ff:ff:ff:ff\n    inet 192\.0\.2\.11\/24 brd 192\.0\.2\.255 scope global eth0\n       valid_lft forever preferred_lft forever\n$/);
  assert.equal(await terminal.run('ip -4 a'), out.replace(/    inet6 ::1[^\n]*\n[^\n]*\n/, ''));
  assert.equal(await terminal.run('hostname -I'), '192.0.2.11 \n');
  assert.equal(await terminal.run('hostname'), 'a.example.test\n');
  assert.equal(await terminal.run('ip foo'), 'Object "foo" is unknown, try "ip help".\n');
});

test('an outside host (mta: false) has no Postfix, only a shell that reaches the mail hosts', async () => {
  const outside: ScenarioDefinition = {
    ...twoHosts,
    hosts: [...twoHosts.hosts, {
      name: 'c.example.test', addresses: ['203.0.113.7'], directory: 'hosts/c', mta: false, startPostfix: true,
      directories: [{ path: '/root', mode: 0o700 }],
    }],
  };
  const terminal = await openTerminal('c.example.test', outside, { 'hosts/c/etc/hostname': 'c.example.test\n' });
  assert.deepEqual(terminal.world.boot.map((report) => report.host), [A, B], 'postfix starts only on the mail hosts');
  assert.equal(await terminal.run('postconf mail_version'), 'bash: postconf: command not found\n');
  assert.equal(await terminal.run('hostname -I'), '203.0.113.7 \n');
  const mark = terminal.output().length;
  await terminal.type('telnet b.example.test 25\r');
  await terminal.waitFor(/220 b\.example\.test ESMTP/, mark, 'the greeting');
  await say(terminal, 'QUIT', /Connection closed by foreign host\.\n[^\n]*# $/);
});

test('nc with piped input sends it and shows the server until it closes; dig and host on a resolver timeout', async () => {
  const terminal = await openTerminal();
  const piped = await terminal.run("printf 'EHLO a.example.test\\r\\nQUIT\\r\\n' | nc b.example.test 25");
  assert.match(piped, /^220 b\.example\.test ESMTP[^\n]*\n250-b\.example\.test\n(250-[^\n]+\n)*250 [^\n]+\n221 2\.0\.0 Bye\n$/);
  terminal.world.zone.failures = { 'slow.example.test': 'timeout' };
  const dig = await terminal.run('dig slow.example.test');
  assert.match(dig, /;; global options: \+cmd\n;; connection timed out; no servers could be reached\n$/);
  assert.equal(terminal.shell.lastStatus, 9);
  assert.equal(await terminal.run('host slow.example.test'), ';; connection timed out; no servers could be reached\n');
  assert.equal(await terminal.run('host -t ANY a.example.test'), 'a.example.test has address 192.0.2.11\na.example.test mail is handled by 10 a.example.test.\n');
});

test('Ctrl-C in telnet lets go of the connection: b\'s smtpd sees the client leave', async () => {
  const terminal = await openTerminal();
  await terminal.world.runUntilQuiet({ eventsMax: 50_000 });
  let mark = terminal.output().length;
  await terminal.type('telnet b.example.test 25\r');
  await terminal.waitFor(/220 b\.example\.test ESMTP[^\n]*\n/, mark, 'the greeting');
  await say(terminal, 'HELO a.example.test', /250 b\.example\.test\n/);
  mark = terminal.output().length;
  await terminal.type('\x03');
  await terminal.waitFor(/\^C\nroot@a:~# $/, mark, 'the prompt after Ctrl-C');
  await terminal.world.runUntilQuiet({ eventsMax: 50_000 });
  const log = await terminal.world.host(B)!.maillog();
  assert.ok(log.some((line) => /postfix\/smtpd\[\d+\]: disconnect from a\.example\.test\[192\.0\.2\.11\] helo=1 /.test(line)), log.join('\n'));
});
