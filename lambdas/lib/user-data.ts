import bootstrap from '../../userdata/bootstrap.sh';

/** Values allowed in the script's single-quoted assignments (checked again here: defence in depth). */
const SAFE = /^[A-Za-z0-9 @._+/=-]*$/;

/** The default bootstrap script with the optional admin user filled in, base64 for RunInstances. */
export function renderUserData(adminUser = '', sshPublicKey = ''): string {
  for (const value of [adminUser, sshPublicKey]) {
    if (!SAFE.test(value)) throw new Error('user data value failed validation');
  }
  const script = bootstrap.replace('__ADMIN_USER__', adminUser).replace('__SSH_PUBLIC_KEY__', sshPublicKey);
  return Buffer.from(script, 'utf8').toString('base64');
}
