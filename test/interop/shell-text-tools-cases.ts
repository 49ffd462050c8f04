// The command lines test/interop/shell-text-tools.test.ts runs both in GNU bash with the
// real coreutils (LC_ALL=C, in a temporary directory) and in mtalab's shell (same files,
// same working directory): output, error text and exit status must be byte-identical. The
// real answers are kept in test/unit/shell/golden/text-tools.json for the unit test.
// The files are a small maillog and a few text files a postmaster would cut and sort.
export const TEXT_TOOL_FILES: Record<string, string> = {
  'maillog': [
    'Dec  1 04:21:06 mail postfix/smtp[1201]: 6DDE51682F3: to=<bob@example.net>, relay=mx.example.net[192.0.2.7]:25, delay=0.4, dsn=2.0.0, status=sent (250 ok)',
    'Dec  1 04:21:07 mail postfix/local[1202]: 7AB1C1682F4: to=<alice@example.test>, relay=local, delay=0.01, dsn=2.0.0, status=sent (delivered to mailbox)',
    'Dec  1 04:22:10 mail postfix/smtp[1201]: 8CC2D1682F5: to=<carol@example.org>, relay=none, delay=30, dsn=4.4.1, status=deferred (connect to example.org[192.0.2.9]:25: Connection refused)',
    'Dec  1 04:23:11 mail postfix/qmgr[1100]: 8CC2D1682F5: from=<root@example.test>, size=402, nrcpt=1 (queue active)',
    'Dec  1 04:24:12 mail postfix/smtp[1203]: 9DD3E1682F6: to=<dave@example.org>, relay=none, delay=31, dsn=4.4.1, status=deferred (connect to example.org[192.0.2.9]:25: Connection refused)',
    'Dec  1 04:25:13 mail postfix/smtp[1203]: AEE4F1682F7: to=<erin@example.com>, relay=mx.example.com[192.0.2.8]:25, delay=1.2, dsn=5.1.1, status=bounced (host said: 550 5.1.1 unknown user)',
    '',
  ].join('\n'),
  'in.txt': 'a b c d\nx:y:z\nnodelim\n',
  's.txt': 'b 10 x\na 9 y\nc 10 a\n  d 2 z\nb 10 x\n-1 c\n1.5 q\nB 3\n',
  'u.txt': 'a\na\nb\nc\nc\nc\n',
  'passwd': 'root:x:0:0:root:/root:/bin/bash\npostfix:x:101:103::/var/spool/postfix:/usr/sbin/nologin\nalice:x:1001:1001:Alice:/home/alice:/bin/bash\n',
  'tail.txt': 'no newline at end',
};

export const TEXT_TOOL_CASES: string[] = [
  // cut
  'cut', 'cut -f 0 in.txt', 'cut -d ab -f1 in.txt', 'cut -c1 -f1 in.txt', 'cut -d: -c1 in.txt',
  'cut -f 3-1 in.txt', 'cut -f a in.txt', 'cut -c a in.txt', 'cut -f - in.txt', 'cut -f 1,,2 in.txt',
  'cut -c 2- in.txt', 'cut -x in.txt', 'cut -f1 nofile in.txt', "cut -d' ' -f2- in.txt", "cut -d' ' -f3,1 in.txt",
  'cut -d: -f2 -s in.txt', 'cut -c -2 in.txt', 'cut -b 1-3 in.txt', 'cut -d: --output-delimiter=XX -f1,3 in.txt',
  'cut -f 2ab,3 in.txt', 'cut -f 1-2-3 in.txt', 'cut -f -0 in.txt', 'cut -f 99999999999999999999 in.txt',
  "cut -s -c1 in.txt", 'cut -c1-3 tail.txt', 'cut -d: -f1,7 passwd', 'cut -d: -f1 --complement passwd',
  "cut -d' ' -f6- maillog", 'cut -c1-15 maillog', 'cut -f', 'cut -d: -f 1 3 passwd',
  // sort
  'sort s.txt', 'sort -n s.txt', 'sort -r s.txt', 'sort -u s.txt', 'sort -k2 s.txt', 'sort -k2,2 s.txt',
  'sort -k2n s.txt', 'sort -k2,2n s.txt', 'sort -n -k2,2 -r s.txt', 'sort -t: -k2 s.txt', 'sort -k0 s.txt',
  'sort -k a s.txt', 'sort -t ab s.txt', 'sort -k 2,1 s.txt', 'sort -k2.0 s.txt', 'sort -x s.txt', 'sort -nu s.txt',
  'sort -k3 -u s.txt', 'sort nofile', 'sort -rn s.txt', 'sort -k2,2n -k1,1r s.txt', 'sort -f s.txt', 'sort -b -k1,1 s.txt',
  'sort -k 1,a s.txt', 'sort -k1x s.txt', "sort -t '' s.txt", 'sort -k1,0 s.txt', 'sort -k1.2,1.0 s.txt', 'sort -k 2b s.txt',
  'sort -t: -k3,3n passwd', 'sort -t: -k3,3nr passwd', 'sort -t: -k7 -k1 passwd', 'sort in.txt s.txt', 'sort -k',
  // uniq
  'uniq u.txt', 'uniq -c u.txt', 'uniq -d u.txt', 'uniq -u u.txt', 'uniq -cd u.txt', 'uniq -c -u u.txt',
  'uniq nofile', 'uniq u.txt out.txt extra', 'uniq -x u.txt', 'uniq -i s.txt', 'uniq -f1 s.txt',
  // tr
  'tr < in.txt', 'tr a < in.txt', 'tr -d < in.txt', 'tr a b c < in.txt', 'tr -d a b < in.txt', 'tr z-a x < in.txt',
  "tr '[:lower:]' '[:upper:]' < maillog", "tr '[:upper:]' '[:lower:]' < s.txt", "tr -d '[:digit:]' < s.txt",
  "tr -s ' ' < s.txt", "tr -d ' \\n' < in.txt", "tr a-c 'x' < in.txt", 'tr -c a-z _ < in.txt', 'tr -cd a-z < in.txt',
  "tr '[:foo:]' x < in.txt", "tr abc '[x*]' < in.txt", "tr '[:lower:]' x < in.txt", "tr x '[:upper:]' < in.txt",
  'tr -s a-z < u.txt', "tr -ds a ' ' < s.txt", "tr '\\101-\\132' x < maillog", 'tr -x', "tr ':' '\\n' < passwd",
  "tr -s ':' < passwd",
  // more edges
  'cut -c1-3,5- --output-delimiter=: in.txt', 'cut -d: -f3- passwd', "printf '' | sort", "printf 'x' | sort",
  "printf '3\\n-2.5\\n-10\\n0.5\\n00\\n-0\\n1e3\\n' | sort -n", "printf 'b\\na\\n' | sort -o out.txt; cat out.txt",
  'uniq -s2 s.txt', 'uniq -c -f1 u.txt', "tr -d '\\-' < s.txt", "tr 'a-z' 'A-M' < in.txt", "tr -s '\\n' < u.txt",
  "sort -t' ' -k2,2n -k3 s.txt", 'sort -k2,2 -k1,1 -u s.txt', 'uniq -d -u u.txt', "tr '[=a=]' Z < in.txt",
  // pipelines
  "grep status= maillog | cut -d' ' -f6- | sort | uniq -c",
  "cut -d' ' -f6 maillog | cut -d[ -f1 | sort | uniq -c | sort -rn",
  "cut -d' ' -f7 maillog | tr -d ':' | sort -u",
  "grep status=deferred maillog | cut -d, -f1 | cut -d'<' -f2 | tr -d '>' | sort -r",
];
