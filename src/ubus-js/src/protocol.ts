/** ubus wire constants (ubusmsg.h, libubus.h). */

export const UBUS_SOCKET_PATHS = ['/var/run/ubus/ubus.sock', '/var/run/ubus.sock'] as const;

/** ubusd drops a connection that sends a longer message. */
export const UBUS_MAX_MSGLEN = 1048576;

export const MSG = {
  HELLO: 0,
  STATUS: 1,
  DATA: 2,
  PING: 3,
  LOOKUP: 4,
  INVOKE: 5,
  ADD_OBJECT: 6,
  REMOVE_OBJECT: 7,
  SUBSCRIBE: 8,
  UNSUBSCRIBE: 9,
  NOTIFY: 10,
  MONITOR: 11,
} as const;
export type MsgTypeName = keyof typeof MSG;
export const MSG_NAMES = Object.keys(MSG) as MsgTypeName[];

export const ATTR = {
  UNSPEC: 0,
  STATUS: 1,
  OBJPATH: 2,
  OBJID: 3,
  METHOD: 4,
  OBJTYPE: 5,
  SIGNATURE: 6,
  DATA: 7,
  TARGET: 8,
  ACTIVE: 9,
  NO_REPLY: 10,
  SUBSCRIBERS: 11,
  USER: 12,
  GROUP: 13,
} as const;
export type AttrName = keyof typeof ATTR;
export const ATTR_NAMES = Object.keys(ATTR) as AttrName[];

export const STATUS = {
  OK: 0,
  INVALID_COMMAND: 1,
  INVALID_ARGUMENT: 2,
  METHOD_NOT_FOUND: 3,
  NOT_FOUND: 4,
  NO_DATA: 5,
  PERMISSION_DENIED: 6,
  TIMEOUT: 7,
  NOT_SUPPORTED: 8,
  UNKNOWN_ERROR: 9,
  CONNECTION_FAILED: 10,
  NO_MEMORY: 11,
  PARSE_ERROR: 12,
  SYSTEM_ERROR: 13,
} as const;
export type StatusName = keyof typeof STATUS;

/** `ubus_strerror` texts, as the CLI prints them. */
const STATUS_TEXT = [
  'Success',
  'Invalid command',
  'Invalid argument',
  'Method not found',
  'Not found',
  'No response',
  'Permission denied',
  'Request timed out',
  'Operation not supported',
  'Unknown error',
  'Connection failed',
  'Out of memory',
  'Parsing message data failed',
  'System error',
];

export function statusText(code: number): string {
  return STATUS_TEXT[code] ?? 'Unknown error';
}

/** ubusd's own objects: events (register/send), ACL, monitor. IDs below 1024 are reserved. */
export const SYSTEM_OBJECT = { EVENT: 1, ACL: 2, MONITOR: 3 } as const;

/** A ubus status code carried as an exception: a handler throws it to answer with that status. */
export class UbusError extends Error {
  override name = 'UbusError';
  constructor(
    readonly status: number,
    message?: string,
  ) {
    super(message ?? statusText(status));
  }
}
