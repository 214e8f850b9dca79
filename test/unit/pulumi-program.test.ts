import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Program from '../../infra/index.js';

interface Created {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const created: Created[] = [];

describe('Pulumi program (with Pulumi mocks)', () => {
  let program: typeof Program;

  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          created.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
          return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
        },
        call: (args) => args.inputs as Record<string, unknown>,
      },
      'piccha-analytics',
      'dev',
      false,
    );
    pulumi.runtime.setAllConfig({ 'piccha-analytics:networkName': 'piccha-test' });
    program = await import('../../infra/index.js');
  });

  it('creates the shared Docker network with the configured name and a stack label', async () => {
    const name = await new Promise((resolve) => program.networkName.apply(resolve));
    expect(name).toBe('piccha-test');
    expect(created).toContainEqual({
      type: 'docker:index/network:Network',
      name: 'piccha',
      inputs: expect.objectContaining({ driver: 'bridge', labels: [{ label: 'analytics.piccha.stack', value: 'dev' }] }) as unknown,
    });
  });
});
