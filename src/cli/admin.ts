import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import type { Store } from '../store/index.ts';

/** The API's token helpers and the store, loaded when an admin command runs, so other commands start light. */
async function adminDeps() {
  const [{ hashToken, newAccessKeyToken }, { openStore }] = await Promise.all([
    import('../api/index.ts'),
    import('../store/index.ts'),
  ]);
  return { hashToken, newAccessKeyToken, openStore };
}

/** Admin basics without the HTTP API: create a customer, create an access key. */
export function adminCommands(program: Command, fail: (err: unknown) => never): void {
  const withStore = async <T>(fn: (store: Store) => Promise<T>): Promise<T> => {
    const config = loadConfig();
    const { openStore } = await adminDeps();
    // A short command beside the running server: it does not take the data directory's lock.
    const store = await openStore({
      dataDir: config.dataDir,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      lock: false,
    });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };

  program
    .command('customer-create')
    .description('create a customer and print it as JSON')
    .requiredOption('--name <name>', 'customer name')
    .option('--email <email>', 'contact email', '')
    .action(async (opts: { name: string; email: string }) => {
      try {
        const { newAccessKeyToken } = await adminDeps();
        const c = await withStore((s) =>
          s.customers.create({
            name: opts.name,
            detail: '',
            email: opts.email,
            webhook_method: 'POST',
            webhook_uri: '',
            webhook_secret: 'whsec_' + newAccessKeyToken().slice(3),
            webhook_event_types: [],
          }),
        );
        console.log(JSON.stringify({ id: c.id, name: c.name }, null, 2));
      } catch (err) {
        fail(err);
      }
    });

  program
    .command('accesskey-create')
    .description('create an access key for a customer and print the token (shown once)')
    .requiredOption('--customer <id>', 'customer id')
    .option('--name <name>', 'key name', 'cli')
    .action(async (opts: { customer: string; name: string }) => {
      try {
        const { hashToken, newAccessKeyToken } = await adminDeps();
        const token = newAccessKeyToken();
        const key = await withStore(async (s) => {
          if (!(await s.customers.get(opts.customer))) throw new Error(`customer ${opts.customer} not found`);
          return s.accesskeys.create({
            customer_id: opts.customer,
            name: opts.name,
            detail: '',
            role: 'customer',
            token_hash: hashToken(token),
            token_prefix: token.slice(0, 7),
          });
        });
        console.log(JSON.stringify({ id: key.id, customer_id: key.customer_id, token }, null, 2));
      } catch (err) {
        fail(err);
      }
    });
}
