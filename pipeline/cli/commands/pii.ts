import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { UserError } from '../../errors/user-error.js';
import { decrypt, isToken, PiiDecryptionError } from '../../pii/cipher.js';
import { generateKeys, INDEX_KEY_VARIABLE, keyringFrom, KEYS_VARIABLE } from '../../pii/keys.js';
import { revealMessage } from '../../pii/protect.js';
import { openClickHouse } from '../../clickhouse/connect.js';
import { parseRawRowAddress, revealRawRow } from '../../ingest/reveal-row.js';
import { topicNames } from '../../produce/topics.js';
import { commandContext } from '../context.js';

export function piiCommand(): Command {
  const pii = new Command('pii').description('keys for the protection of emails and phones, and recovering values for an operator who holds them');

  pii
    .command('keygen')
    .description(`print a new encryption key and blind-index key as ${KEYS_VARIABLE}=… and ${INDEX_KEY_VARIABLE}=… lines; the only command that prints a key`)
    .option('--rotate', `print only a new ${KEYS_VARIABLE} entry, to put first in the existing list (the index key must not change)`)
    .action((flags: { rotate?: boolean }) => {
      const keys = generateKeys();
      if (flags.rotate === true) {
        process.stdout.write(`${keys.keyId}:${keys.key}\n`);
        return;
      }
      process.stdout.write(`${KEYS_VARIABLE}=${keys.keyId}:${keys.key}\n${INDEX_KEY_VARIABLE}=${keys.indexKey}\n`);
    });

  pii
    .command('decrypt')
    .description('recover plaintext from a protected value (pii2.…, with the place it belongs to), a whole message (JSON envelope or dead letter; "-" reads standard input) or a RAW row (--row)')
    .argument('[value]', 'a protected value, a JSON message, or - for standard input')
    .option('--entity <name>', 'for a single value: the entity of the document it came from')
    .option('--source-id <id>', 'for a single value: the source id of that document')
    .option('--field <path>', 'for a single value: its dotted field path in the document (customer.email, items.0.note)')
    .option('--row <table:partition:offset>', 'a row of a RAW table, e.g. piccha_raw.customers:0:17 (the partition and offset of its message on the table\'s topic)')
    .action(async (value: string | undefined, flags: { entity?: string; sourceId?: string; field?: string; row?: string }) => {
      const { config } = commandContext();
      const keyring = keyringFrom(config.pii);
      if (flags.row !== undefined) {
        const address = parseRawRowAddress(flags.row);
        const clickhouse = openClickHouse(config.clickhouse);
        try {
          const row = await revealRawRow(clickhouse, topicNames(config.kafka.topicPrefix), address, keyring);
          process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
        } catch (error) {
          if (error instanceof PiiDecryptionError) throw new UserError(error.message);
          throw error;
        } finally {
          await clickhouse.close();
        }
        return;
      }
      if (value === undefined) throw new UserError('give a protected value, a JSON message, - for standard input, or --row');
      const input = (value === '-' ? readFileSync(0, 'utf8') : value).trim();
      try {
        if (isToken(input)) {
          const { entity, sourceId, field } = flags;
          // A value is bound to where it was protected: without the place, nothing can be checked.
          if (entity === undefined || sourceId === undefined || field === undefined) throw new UserError('a single protected value needs --entity, --source-id and --field: the place it was protected for');
          process.stdout.write(`${decrypt(input, keyring, { entity, sourceId, path: field }).plaintext}\n`);
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(input);
        } catch {
          throw new UserError(/^pii2\./.test(input) ? 'a malformed protected value: expected pii2.<email or phone>.<key id>.<nonce>.<ciphertext and tag>, the parts in URL-safe base64' : 'expected a protected value (pii2.…) or a JSON message');
        }
        process.stdout.write(`${JSON.stringify(revealMessage(parsed, keyring), null, 2)}\n`);
      } catch (error) {
        if (error instanceof PiiDecryptionError) throw new UserError(error.message);
        throw error;
      }
    });

  return pii;
}
