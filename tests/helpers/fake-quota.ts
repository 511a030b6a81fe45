/**
 * fake-indexeddb with a storage quota: when `quota.bytesLeft` runs out, a put fails the way a
 * browser's does (the request errors with QuotaExceededError and its transaction aborts, rolling
 * back every put made in it). IndexedDB is the environment of the disk store, not what is tested.
 */
import 'fake-indexeddb/auto';
import { IDBObjectStore as FakeStore, IDBTransaction as FakeTransaction } from 'fake-indexeddb';

export const quota = { bytesLeft: Infinity, failures: 0 };

/** Size of the value being put, handed from put() to the request it queues (same call). */
let putBytes = 0;
const storeProto = FakeStore.prototype as unknown as { put(value: unknown, key?: unknown): unknown };
const originalPut = storeProto.put;
storeProto.put = function (this: unknown, value: unknown, key?: unknown) {
  putBytes = value instanceof Uint8Array ? value.length : 256;
  return originalPut.call(this, value, key);
};

type ExecArgs = { operation: (...a: unknown[]) => unknown; source?: unknown; request?: unknown };
const proto = FakeTransaction.prototype as unknown as { _execRequestAsync(obj: ExecArgs): unknown };
const original = proto._execRequestAsync;
proto._execRequestAsync = function (this: unknown, obj: ExecArgs) {
  if (obj.operation?.name === 'bound storeRecord') {
    const op = obj.operation;
    const bytes = putBytes;
    obj = {
      ...obj,
      operation: (...a: unknown[]) => {
        if (quota.bytesLeft < bytes) {
          quota.failures++;
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        quota.bytesLeft -= bytes;
        return op(...a);
      },
    };
  }
  return original.call(this, obj);
};
