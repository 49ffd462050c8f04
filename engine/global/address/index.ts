// The address library in one import: tokens and the RFC 822 scanner, the address-list
// parser, internal/external rendering, local-part quoting, domain and literal checks,
// header address lists and domain/string lists. See each file's header for what it models
// in Postfix (src/global/tok822_*.c, quote_822_local.c, valid_mailhost_addr.c,
// src/util/match_list.c). Called by trivial-rewrite, and later cleanup, smtpd and local.

export * from './tokens.ts';
export { parseAddressTokens } from './parse.ts';
export { internalize, externalize, externalizeAddress, printable, NON_ADDRESS_TEXT_LENGTH_MAX, type RenderOptions } from './render.ts';
export { quoteLocalPart, unquoteLocalPart, isDotString, type QuoteOptions } from './quote.ts';
export * from './domain.ts';
export { parseAddressList, parseAddressListInternal, type HeaderAddress } from './header-list.ts';
export { openMatchList, parentStyleFor, type MatchList, type MatchListOptions, MATCH_LIST_FILE_DEPTH_MAX } from './match-list.ts';
