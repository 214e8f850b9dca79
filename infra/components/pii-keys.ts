import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';

export interface PiiKeysArgs {
  /** Recorded in every encrypted value, so that a later key can be added in front of it. */
  readonly keyId: string;
}

/** The producer's PII keys: an AES-256 key and a blind-index key, 32 random bytes each, kept as secrets. */
export class PiiKeys extends pulumi.ComponentResource {
  /** `PICCHA_PII_KEYS`: `id:key`, the key in URL-safe base64. */
  readonly keys: pulumi.Output<string>;
  /** `PICCHA_PII_INDEX_KEY`. */
  readonly indexKey: pulumi.Output<string>;

  constructor(name: string, args: PiiKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super('piccha:infra:PiiKeys', name, {}, opts);
    const key = new random.RandomBytes(`${name}-encryption`, { length: 32 }, { parent: this });
    const indexKey = new random.RandomBytes(`${name}-index`, { length: 32 }, { parent: this });
    const urlSafe = (base64: pulumi.Output<string>) => pulumi.secret(base64.apply((text) => Buffer.from(text, 'base64').toString('base64url')));
    this.keys = pulumi.secret(pulumi.interpolate`${args.keyId}:${urlSafe(key.base64)}`);
    this.indexKey = urlSafe(indexKey.base64);
    this.registerOutputs({ keys: this.keys, indexKey: this.indexKey });
  }
}
