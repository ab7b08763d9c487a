/**
 * Builders for every message a libubus client sends, with attributes in libubus's order, so what we put on the
 * wire is byte-identical to what libubus writes (checked against recorded vectors).
 */
import { BLOBMSG_TYPE, type BlobmsgNode, type BlobmsgTypeName } from './blobmsg.js';
import type { UbusMessage } from './message.js';
import { MSG, SYSTEM_OBJECT } from './protocol.js';

export function lookupMessage(seq: number, path?: string): UbusMessage {
  return { type: MSG.LOOKUP, seq, peer: 0, attrs: path === undefined ? [] : [['OBJPATH', path]] };
}

/** DATA is always present (ubus_put_data sends an empty one): libubus's object side rejects an INVOKE without it. */
export function invokeMessage(seq: number, objectId: number, method: string, data: BlobmsgNode[]): UbusMessage {
  return {
    type: MSG.INVOKE,
    seq,
    peer: objectId,
    attrs: [
      ['OBJID', objectId],
      ['METHOD', method],
      ['DATA', data],
    ],
  };
}

/** A named object sends its SIGNATURE (even empty: objects without a type are invisible to LOOKUP). */
export function addObjectMessage(seq: number, path?: string, signature?: BlobmsgNode[]): UbusMessage {
  const attrs: UbusMessage['attrs'] = [];
  if (path !== undefined) {
    attrs.push(['OBJPATH', path]);
    attrs.push(['SIGNATURE', signature ?? []]);
  }
  return { type: MSG.ADD_OBJECT, seq, peer: 0, attrs };
}

export function removeObjectMessage(seq: number, objectId: number): UbusMessage {
  return { type: MSG.REMOVE_OBJECT, seq, peer: 0, attrs: [['OBJID', objectId]] };
}

export function subscribeMessage(
  seq: number,
  subscriberId: number,
  targetId: number,
  unsubscribe = false,
): UbusMessage {
  return {
    type: unsubscribe ? MSG.UNSUBSCRIBE : MSG.SUBSCRIBE,
    seq,
    peer: 0,
    attrs: [
      ['OBJID', subscriberId],
      ['TARGET', targetId],
    ],
  };
}

/** Notifications go out with NO_REPLY, so subscribers never answer and ubusd sends no subscriber list back. */
export function notifyMessage(seq: number, objectId: number, type: string, data: BlobmsgNode[]): UbusMessage {
  return {
    type: MSG.NOTIFY,
    seq,
    peer: objectId,
    attrs: [
      ['OBJID', objectId],
      ['METHOD', type],
      ['DATA', data],
      ['NO_REPLY', 1],
    ],
  };
}

/** Replies to an INVOKE keep the caller's seq and peer (ubusd rewrites the peer to our object ID). */
export function replyDataMessage(seq: number, peer: number, objectId: number, data: BlobmsgNode[]): UbusMessage {
  return {
    type: MSG.DATA,
    seq,
    peer,
    attrs: [
      ['OBJID', objectId],
      ['DATA', data],
    ],
  };
}

export function replyStatusMessage(seq: number, peer: number, objectId: number, status: number): UbusMessage {
  return {
    type: MSG.STATUS,
    seq,
    peer,
    attrs: [
      ['STATUS', status],
      ['OBJID', objectId],
    ],
  };
}

/** Body of `register` on the event object: `object` is a blobmsg INT32 (so ids >= 2^31 read negative). */
export function eventRegisterData(objectId: number, pattern: string): BlobmsgNode[] {
  return [
    { name: 'object', type: 'INT32', value: objectId | 0 },
    { name: 'pattern', type: 'STRING', value: pattern },
  ];
}

export function eventSendData(id: string, data: BlobmsgNode[]): BlobmsgNode[] {
  return [
    { name: 'id', type: 'STRING', value: id },
    { name: 'data', type: 'TABLE', value: data },
  ];
}

export function eventInvokeMessage(seq: number, method: 'register' | 'send', data: BlobmsgNode[]): UbusMessage {
  return invokeMessage(seq, SYSTEM_OBJECT.EVENT, method, data);
}

/** Method signatures: one TABLE per method holding one INT32 per parameter whose value is the blobmsg type. */
export type ParamType = BlobmsgTypeName | 'BOOL' | number;

export function paramTypeId(t: ParamType): number {
  if (typeof t === 'number') return t;
  if (t === 'BOOL') return BLOBMSG_TYPE.INT8;
  return BLOBMSG_TYPE[t];
}

export function signatureNodes(methods: Record<string, Record<string, ParamType> | undefined>): BlobmsgNode[] {
  return Object.entries(methods).map(([name, params]) => ({
    name,
    type: 'TABLE' as const,
    value: Object.entries(params ?? {}).map(([p, t]) => ({ name: p, type: 'INT32' as const, value: paramTypeId(t) })),
  }));
}
