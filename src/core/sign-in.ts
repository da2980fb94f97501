/** What made a successful sign-in unusual enough to tell the account's owner. */
export type SignInFlag = 'new_location' | 'impossible_travel' | 'new_device';
