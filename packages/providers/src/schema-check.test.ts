import { parse } from '@cdktn/hcl2json';
import { describe, expect, it } from 'vitest';
import { checkAgainstSchema } from './index.js';
import type { ProviderSchema } from './schema.js';

const check = async (hcl: string) => checkAgainstSchema(await parse('main.tf', hcl));

describe('checkAgainstSchema', () => {
  it('accepts correct resources, data sources, meta-arguments and expressions', async () => {
    const problems = await check(`
      data "incus_profile" "default" {
        name = "default"
      }

      resource "incus_instance" "web" {
        count    = 2
        provider = incus.remote

        name     = "web-\${count.index}"
        type     = var.instance_type
        profiles = [data.incus_profile.default.name]
        config = {
          "limits.cpu" = 2
        }
        exec = {
          hello = { command = ["echo", "hi"], trigger = "once" }
        }

        device {
          name       = "root"
          type       = "disk"
          properties = { pool = "default", path = "/" }
        }

        dynamic "device" {
          for_each = var.disks
          iterator = disk
          content {
            name       = disk.key
            type       = "disk"
            properties = disk.value
          }
        }

        depends_on = [incus_network.lan]

        lifecycle {
          ignore_changes = [config]
        }
      }

      resource "tls_self_signed_cert" "ca" {
        private_key_pem       = tls_private_key.ca.private_key_pem
        validity_period_hours = 8760
        allowed_uses          = ["cert_signing"]

        subject {
          common_name = "Atlas CA"
        }
      }

      resource "random_pet" "ignored" {
        whatever = true
      }
    `);
    expect(problems).toEqual([]);
  });

  it('reports each kind of problem', async () => {
    const problems = await check(`
      resource "incus_instance" "web" {
        type         = "vm"
        imagee       = "images:debian/12"
        ipv4_address = "10.0.0.2"
        exec = {
          hello = { commands = ["echo"] }
        }

        device {
          name = "root"
          type = "disc"
        }

        dynamic "device" {
          for_each = var.disks
          content {
            name = device.key
            size = "10GiB"
          }
        }

        dynamic "disk" {
          for_each = var.disks
          content {}
        }
      }

      resource "incus_instanc" "typo" {
        name = "typo"
      }

      data "incus_profil" "typo" {
        name = "typo"
      }

      resource "tls_self_signed_cert" "ca" {
        private_key_pem       = "pem"
        validity_period_hours = 1
        allowed_uses          = []
        subject {}
        subject {}
      }
    `);
    // In hcl2json's order: types, names and keys sorted.
    expect(problems).toEqual([
      'incus_instanc.typo: unknown resource type "incus_instanc"',
      'incus_instance.web.device[0].type: "disc" is not one of "none", "disk", "nic", "unix-char", "unix-block", "usb", "gpu", "infiniband", "proxy", "unix-hotplug", "tpm", "pci"',
      'incus_instance.web.device[0]: missing required attribute "properties"',
      'incus_instance.web.dynamic.device[0].content: unknown argument or block "size"',
      'incus_instance.web.dynamic.device[0].content: missing required attribute "properties"',
      'incus_instance.web.dynamic.device[0].content: missing required attribute "type"',
      'incus_instance.web: unknown block "disk" in a dynamic block',
      'incus_instance.web.exec["hello"]: unknown argument or block "commands"',
      'incus_instance.web.exec["hello"]: missing required attribute "command"',
      'incus_instance.web: unknown argument or block "imagee"',
      'incus_instance.web: "ipv4_address" is computed by the provider and cannot be set',
      'incus_instance.web.type: "vm" is not one of "container", "virtual-machine"',
      'incus_instance.web: missing required attribute "name"',
      'tls_self_signed_cert.ca: too many "subject" blocks (2, at most 1)',
      'data.incus_profil.typo: unknown data source type "incus_profil"',
    ]);
  });

  it('requires blocks with _min_items unless a dynamic block may supply them', async () => {
    // None of the bundled schemas sets _min_items, so use a small one that does.
    const schemas = [
      {
        name: 'demo',
        address: 'example.com/demo/demo',
        resources: {
          demo_pool: {
            attributes: { name: { required: true, type: 'string' } },
            block_types: {
              member: {
                nesting_mode: 'set',
                _min_items: 1,
                block: { attributes: { host: { required: true, type: 'string' } } },
              },
            },
          },
        },
        dataSources: {},
      },
    ] as const satisfies readonly ProviderSchema[];
    const parsed = await parse(
      'main.tf',
      `
        resource "demo_pool" "empty" {
          name = "empty"
        }
        resource "demo_pool" "dynamic" {
          name = "dynamic"
          dynamic "member" {
            for_each = var.hosts
            content {
              host = member.value
            }
          }
        }
        resource "incus_network" "other_provider" {
          unknown = "not checked: no schema given for incus"
        }
      `,
    );
    expect(checkAgainstSchema(parsed, schemas)).toEqual([
      'demo_pool.empty: missing required block "member" (at least 1 needed)',
    ]);
  });
});
