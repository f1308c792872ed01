import type { Locale } from '@haven/contracts';
import type { OutgoingMail } from './mailer.ts';

/**
 * Every e-mail Haven sends, in English, German and Dutch, chosen by the recipient's language.
 * Messages carry no health data; links carry their token in the URL fragment, so it never
 * reaches a server log or a Referer header.
 */
type Params = Record<string, string>;
interface Template {
  subject: string;
  /** Paragraphs; {name} placeholders; the link (if any) goes after them as a button. */
  body: string[];
  action?: string;
}
type Catalogue = Record<Locale, Template>;

const templates = {
  verify_email: {
    en: { subject: 'Confirm your e-mail address for Haven', body: ['Hello {name},', 'Please confirm your e-mail address to finish setting up {organisation} on Haven. The link is valid for 24 hours and works once.', 'If you did not sign up, you can ignore this message.'], action: 'Confirm e-mail address' },
    de: { subject: 'Bestätigen Sie Ihre E-Mail-Adresse für Haven', body: ['Guten Tag {name},', 'bitte bestätigen Sie Ihre E-Mail-Adresse, um die Einrichtung von {organisation} bei Haven abzuschließen. Der Link ist 24 Stunden gültig und kann einmal verwendet werden.', 'Wenn Sie sich nicht registriert haben, können Sie diese Nachricht ignorieren.'], action: 'E-Mail-Adresse bestätigen' },
    nl: { subject: 'Bevestig uw e-mailadres voor Haven', body: ['Beste {name},', 'Bevestig uw e-mailadres om de registratie van {organisation} bij Haven af te ronden. De link is 24 uur geldig en werkt één keer.', 'Heeft u zich niet aangemeld? Dan kunt u dit bericht negeren.'], action: 'E-mailadres bevestigen' },
  },
  signup_exists: {
    en: { subject: 'Someone tried to sign up for Haven with your address', body: ['Hello {name},', 'Someone just tried to register a new practice on Haven with this e-mail address, which already has an account. If that was you, sign in instead, or reset your password if you forgot it.', 'If it was not you, no action is needed: nothing was changed.'], action: 'Sign in to Haven' },
    de: { subject: 'Jemand wollte sich mit Ihrer Adresse bei Haven registrieren', body: ['Guten Tag {name},', 'soeben wurde versucht, mit dieser E-Mail-Adresse eine neue Praxis bei Haven zu registrieren. Für diese Adresse besteht bereits ein Konto. Wenn Sie das waren, melden Sie sich bitte an oder setzen Sie Ihr Passwort zurück.', 'Wenn Sie es nicht waren, müssen Sie nichts tun: Es wurde nichts geändert.'], action: 'Bei Haven anmelden' },
    nl: { subject: 'Iemand probeerde zich met uw adres bij Haven aan te melden', body: ['Beste {name},', 'Zojuist probeerde iemand met dit e-mailadres een nieuwe praktijk bij Haven te registreren. Er bestaat al een account met dit adres. Was u dat? Log dan in, of stel uw wachtwoord opnieuw in als u het bent vergeten.', 'Was u het niet? Dan hoeft u niets te doen: er is niets gewijzigd.'], action: 'Inloggen bij Haven' },
  },
  password_reset: {
    en: { subject: 'Reset your Haven password', body: ['Hello {name},', 'We received a request to reset your password. The link is valid for 30 minutes and works once. Resetting ends all your sessions.', 'If you did not ask for this, ignore this message: your password stays as it is.'], action: 'Choose a new password' },
    de: { subject: 'Setzen Sie Ihr Haven-Passwort zurück', body: ['Guten Tag {name},', 'wir haben eine Anfrage zum Zurücksetzen Ihres Passworts erhalten. Der Link ist 30 Minuten gültig und kann einmal verwendet werden. Beim Zurücksetzen werden alle Ihre Sitzungen beendet.', 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.'], action: 'Neues Passwort wählen' },
    nl: { subject: 'Stel uw Haven-wachtwoord opnieuw in', body: ['Beste {name},', 'We hebben een verzoek ontvangen om uw wachtwoord opnieuw in te stellen. De link is 30 minuten geldig en werkt één keer. Hierbij worden al uw sessies beëindigd.', 'Heeft u hier niet om gevraagd? Negeer dan dit bericht: uw wachtwoord blijft ongewijzigd.'] , action: 'Nieuw wachtwoord kiezen' },
  },
  password_changed: {
    en: { subject: 'Your Haven password was changed', body: ['Hello {name},', 'The password of your Haven account was changed on {when} (UTC). {sessions}', 'If this was not you, reset your password now and tell your practice administrator.'], action: 'Reset my password' },
    de: { subject: 'Ihr Haven-Passwort wurde geändert', body: ['Guten Tag {name},', 'das Passwort Ihres Haven-Kontos wurde am {when} (UTC) geändert. {sessions}', 'Wenn Sie das nicht waren, setzen Sie Ihr Passwort sofort zurück und informieren Sie die Administration Ihrer Praxis.'], action: 'Passwort zurücksetzen' },
    nl: { subject: 'Uw Haven-wachtwoord is gewijzigd', body: ['Beste {name},', 'Het wachtwoord van uw Haven-account is gewijzigd op {when} (UTC). {sessions}', 'Was u dit niet? Stel dan direct een nieuw wachtwoord in en waarschuw de beheerder van uw praktijk.'], action: 'Wachtwoord opnieuw instellen' },
  },
  account_locked: {
    en: { subject: 'Your Haven account was locked temporarily', body: ['Hello {name},', 'After several failed sign-in attempts your account is locked until {until} (UTC). This protects you if someone is guessing your password.', 'If these attempts were not yours, we recommend resetting your password. Resetting also lifts the lock.'], action: 'Reset my password' },
    de: { subject: 'Ihr Haven-Konto wurde vorübergehend gesperrt', body: ['Guten Tag {name},', 'nach mehreren fehlgeschlagenen Anmeldeversuchen ist Ihr Konto bis {until} (UTC) gesperrt. Das schützt Sie, falls jemand Ihr Passwort zu erraten versucht.', 'Wenn diese Versuche nicht von Ihnen stammen, empfehlen wir, Ihr Passwort zurückzusetzen. Das hebt auch die Sperre auf.'], action: 'Passwort zurücksetzen' },
    nl: { subject: 'Uw Haven-account is tijdelijk geblokkeerd', body: ['Beste {name},', 'Na meerdere mislukte inlogpogingen is uw account geblokkeerd tot {until} (UTC). Dit beschermt u als iemand uw wachtwoord probeert te raden.', 'Waren deze pogingen niet van u? Dan raden we aan uw wachtwoord opnieuw in te stellen. Daarmee wordt de blokkade ook opgeheven.'], action: 'Wachtwoord opnieuw instellen' },
  },
  second_factor_changed: {
    en: { subject: 'Your Haven sign-in protection changed', body: ['Hello {name},', 'On {when} (UTC): {change}', 'If this was not you, reset your password now and tell your practice administrator.'], action: 'Reset my password' },
    de: { subject: 'Der Anmeldeschutz Ihres Haven-Kontos wurde geändert', body: ['Guten Tag {name},', 'am {when} (UTC): {change}', 'Wenn Sie das nicht waren, setzen Sie Ihr Passwort sofort zurück und informieren Sie die Administration Ihrer Praxis.'], action: 'Passwort zurücksetzen' },
    nl: { subject: 'De inlogbeveiliging van uw Haven-account is gewijzigd', body: ['Beste {name},', 'Op {when} (UTC): {change}', 'Was u dit niet? Stel dan direct een nieuw wachtwoord in en waarschuw de beheerder van uw praktijk.'], action: 'Wachtwoord opnieuw instellen' },
  },
  // A sign-in code: no link, nothing to click; the code only in the body (not the subject, which
  // lock screens show). {purpose} says what it is for; {minutes} how long it works.
  second_factor_code: {
    en: { subject: 'Your Haven code', body: ['Hello {name},', '{purpose} Your code: {code}', 'It works once and for {minutes} minutes. Never pass it on: nobody from Haven or your practice will ever ask you for it.', 'If you did not ask for it, someone may know your password: change it now.'] },
    de: { subject: 'Ihr Haven-Code', body: ['Guten Tag {name},', '{purpose} Ihr Code: {code}', 'Er gilt einmal und {minutes} Minuten lang. Geben Sie ihn nie weiter: Niemand von Haven oder Ihrer Praxis wird Sie je danach fragen.', 'Wenn Sie ihn nicht angefordert haben, kennt womöglich jemand Ihr Passwort: Ändern Sie es jetzt.'] },
    nl: { subject: 'Uw Haven-code', body: ['Beste {name},', '{purpose} Uw code: {code}', 'Hij werkt één keer en {minutes} minuten lang. Geef hem nooit door: niemand van Haven of uw praktijk zal er ooit om vragen.', 'Heeft u er niet om gevraagd? Dan kent iemand misschien uw wachtwoord: wijzig het nu.'] },
  },
  invitation: {
    en: { subject: 'You are invited to join {organisation} on Haven', body: ['Hello,', '{inviter} invites you to join {organisation} on Haven as {role}. The invitation is valid for 7 days and works once.', 'If you did not expect this, you can ignore this message.'], action: 'Accept the invitation' },
    de: { subject: 'Einladung zu {organisation} bei Haven', body: ['Guten Tag,', '{inviter} lädt Sie ein, {organisation} bei Haven als {role} beizutreten. Die Einladung ist 7 Tage gültig und kann einmal verwendet werden.', 'Wenn Sie diese Einladung nicht erwartet haben, können Sie diese Nachricht ignorieren.'], action: 'Einladung annehmen' },
    nl: { subject: 'Uitnodiging voor {organisation} bij Haven', body: ['Beste,', '{inviter} nodigt u uit om als {role} lid te worden van {organisation} bij Haven. De uitnodiging is 7 dagen geldig en werkt één keer.', 'Verwachtte u deze uitnodiging niet? Dan kunt u dit bericht negeren.'], action: 'Uitnodiging accepteren' },
  },
  // A patient's invitation to the portal. No health data: not even which kind of practice it is
  // beyond its name, and nothing about the treatment.
  patient_invitation: {
    en: { subject: '{organisation} invites you to your patient portal on Haven', body: ['Hello,', '{organisation} invites you to its patient portal on Haven. There you can see your details and the documents your practice shares with you, and who has opened your record. The invitation is valid for 7 days and works once.', 'If you did not expect this, you can ignore this message or ask your practice.'], action: 'Set up my portal access' },
    de: { subject: '{organisation} lädt Sie zu Ihrem Patientenportal bei Haven ein', body: ['Guten Tag,', '{organisation} lädt Sie zu ihrem Patientenportal bei Haven ein. Dort sehen Sie Ihre Angaben, die Dokumente, die Ihre Praxis mit Ihnen teilt, und wer Ihre Akte geöffnet hat. Die Einladung ist 7 Tage gültig und kann einmal verwendet werden.', 'Wenn Sie diese Einladung nicht erwartet haben, können Sie diese Nachricht ignorieren oder bei Ihrer Praxis nachfragen.'], action: 'Portalzugang einrichten' },
    nl: { subject: '{organisation} nodigt u uit voor uw patiëntenportaal bij Haven', body: ['Beste,', '{organisation} nodigt u uit voor het patiëntenportaal bij Haven. Daar ziet u uw gegevens, de documenten die uw praktijk met u deelt en wie uw dossier heeft geopend. De uitnodiging is 7 dagen geldig en werkt één keer.', 'Verwachtte u deze uitnodiging niet? Dan kunt u dit bericht negeren of uw praktijk om uitleg vragen.'], action: 'Portaaltoegang instellen' },
  },
  email_change_confirm: {
    en: { subject: 'Confirm your new e-mail address for Haven', body: ['Hello {name},', 'Please confirm that this is your new e-mail address for Haven. The link is valid for 24 hours and works once. Until you confirm, you keep signing in with your old address.'], action: 'Confirm new address' },
    de: { subject: 'Bestätigen Sie Ihre neue E-Mail-Adresse für Haven', body: ['Guten Tag {name},', 'bitte bestätigen Sie, dass dies Ihre neue E-Mail-Adresse für Haven ist. Der Link ist 24 Stunden gültig und kann einmal verwendet werden. Bis zur Bestätigung melden Sie sich weiter mit Ihrer bisherigen Adresse an.'], action: 'Neue Adresse bestätigen' },
    nl: { subject: 'Bevestig uw nieuwe e-mailadres voor Haven', body: ['Beste {name},', 'Bevestig dat dit uw nieuwe e-mailadres voor Haven is. De link is 24 uur geldig en werkt één keer. Tot u bevestigt, logt u in met uw oude adres.'], action: 'Nieuw adres bevestigen' },
  },
  email_change_notice: {
    en: { subject: 'A change of your Haven e-mail address was requested', body: ['Hello {name},', 'A change of the e-mail address of your Haven account to {masked} was requested on {when} (UTC). It takes effect only once confirmed from the new address.', 'If this was not you, change your password now and tell your practice administrator.'] },
    de: { subject: 'Änderung Ihrer Haven-E-Mail-Adresse angefordert', body: ['Guten Tag {name},', 'am {when} (UTC) wurde angefordert, die E-Mail-Adresse Ihres Haven-Kontos auf {masked} zu ändern. Die Änderung wird erst wirksam, wenn sie von der neuen Adresse aus bestätigt wird.', 'Wenn Sie das nicht waren, ändern Sie sofort Ihr Passwort und informieren Sie die Administration Ihrer Praxis.'] },
    nl: { subject: 'Wijziging van uw Haven-e-mailadres aangevraagd', body: ['Beste {name},', 'Op {when} (UTC) is gevraagd het e-mailadres van uw Haven-account te wijzigen in {masked}. De wijziging gaat pas in na bevestiging vanaf het nieuwe adres.', 'Was u dit niet? Wijzig dan direct uw wachtwoord en waarschuw de beheerder van uw praktijk.'] },
  },
  email_changed: {
    en: { subject: 'Your Haven e-mail address was changed', body: ['Hello {name},', 'Your Haven account now uses {masked}. This address will receive no further messages from Haven.', 'If this was not you, contact your practice administrator at once.'] },
    de: { subject: 'Ihre Haven-E-Mail-Adresse wurde geändert', body: ['Guten Tag {name},', 'Ihr Haven-Konto verwendet jetzt {masked}. An diese Adresse sendet Haven keine weiteren Nachrichten.', 'Wenn Sie das nicht waren, wenden Sie sich sofort an die Administration Ihrer Praxis.'] },
    nl: { subject: 'Uw Haven-e-mailadres is gewijzigd', body: ['Beste {name},', 'Uw Haven-account gebruikt nu {masked}. Dit adres ontvangt geen berichten meer van Haven.', 'Was u dit niet? Neem dan direct contact op met de beheerder van uw praktijk.'] },
  },
  sessions_ended_by_admin: {
    en: { subject: 'Your Haven sessions were ended', body: ['Hello {name},', 'An administrator of {organisation} ended your active Haven sessions on {when} (UTC). Sign in again to continue.'] },
    de: { subject: 'Ihre Haven-Sitzungen wurden beendet', body: ['Guten Tag {name},', 'eine Administratorin oder ein Administrator von {organisation} hat am {when} (UTC) Ihre aktiven Haven-Sitzungen beendet. Melden Sie sich erneut an, um fortzufahren.'] },
    nl: { subject: 'Uw Haven-sessies zijn beëindigd', body: ['Beste {name},', 'Een beheerder van {organisation} heeft op {when} (UTC) uw actieve Haven-sessies beëindigd. Log opnieuw in om verder te gaan.'] },
  },
  factors_reset_by_admin: {
    en: { subject: 'Your Haven sign-in factors were reset', body: ['Hello {name},', 'An administrator of {organisation} reset your second factors (authenticator app, passkeys, codes and recovery codes) on {when} (UTC), after checking it was you ({check}). All your sessions were ended.', 'At your next sign-in, with your password, you will set up a new second factor.', 'If you did not ask for this, contact your practice at once.'] },
    de: { subject: 'Ihre Haven-Anmeldefaktoren wurden zurückgesetzt', body: ['Guten Tag {name},', 'eine Administratorin oder ein Administrator von {organisation} hat am {when} (UTC) Ihre zweiten Faktoren (Authenticator-App, Passkeys, Codes und Wiederherstellungscodes) zurückgesetzt, nachdem geprüft wurde, dass Sie es sind ({check}). Alle Ihre Sitzungen wurden beendet.', 'Bei Ihrer nächsten Anmeldung mit Ihrem Passwort richten Sie einen neuen zweiten Faktor ein.', 'Wenn Sie das nicht veranlasst haben, wenden Sie sich sofort an Ihre Praxis.'] },
    nl: { subject: 'Uw Haven-aanmeldfactoren zijn opnieuw ingesteld', body: ['Beste {name},', 'Een beheerder van {organisation} heeft op {when} (UTC) uw tweede factoren (authenticator-app, passkeys, codes en herstelcodes) verwijderd, na te hebben gecontroleerd dat u het was ({check}). Al uw sessies zijn beëindigd.', 'Bij uw volgende aanmelding met uw wachtwoord stelt u een nieuwe tweede factor in.', 'Heeft u hier niet om gevraagd? Neem dan direct contact op met uw praktijk.'] },
  },
  sign_in_confirmation: {
    en: { subject: 'Was this you? Confirm this sign-in to Haven', body: ['Hello {name},', 'Someone signed in to your Haven account with your password on {when} (UTC), from {country} on {device}. Because this sign-in looks unusual ({reasons}), it waits for your confirmation.', 'If it was you, confirm it with the button below. The link is valid for 15 minutes and works once.', 'If it was not you, do not open the link: the sign-in will not go through. Then reset your password, because someone knows it.'], action: 'Confirm this sign-in' },
    de: { subject: 'Waren Sie das? Bestätigen Sie diese Anmeldung bei Haven', body: ['Guten Tag {name},', 'am {when} (UTC) hat sich jemand mit Ihrem Passwort bei Ihrem Haven-Konto angemeldet (Land: {country}; Browser: {device}). Weil diese Anmeldung ungewöhnlich aussieht ({reasons}), wartet sie auf Ihre Bestätigung.', 'Wenn Sie das waren, bestätigen Sie sie mit der Schaltfläche unten. Der Link ist 15 Minuten gültig und kann einmal verwendet werden.', 'Wenn Sie es nicht waren, öffnen Sie den Link nicht: Die Anmeldung kommt dann nicht zustande. Setzen Sie danach Ihr Passwort zurück, denn jemand kennt es.'], action: 'Diese Anmeldung bestätigen' },
    nl: { subject: 'Was u dit? Bevestig deze aanmelding bij Haven', body: ['Beste {name},', 'Op {when} (UTC) heeft iemand met uw wachtwoord ingelogd op uw Haven-account, vanuit {country} met {device}. Omdat deze aanmelding ongebruikelijk lijkt ({reasons}), wacht ze op uw bevestiging.', 'Was u het? Bevestig dan met de knop hieronder. De link is 15 minuten geldig en werkt één keer.', 'Was u het niet? Open de link dan niet: de aanmelding gaat dan niet door. Stel daarna een nieuw wachtwoord in, want iemand kent het.'], action: 'Deze aanmelding bevestigen' },
  },
  new_device_sign_in: {
    en: { subject: 'New sign-in to your Haven account', body: ['Hello {name},', 'Your Haven account was signed in to on {when} (UTC) from a browser it had not used before: {device}, from {country}.', 'If this was you, there is nothing to do.', 'If it was not you, use the button below (valid for 7 days): it signs you out everywhere, ends every trusted browser, and asks for a new password at the next sign-in.'], action: "This wasn't me" },
    de: { subject: 'Neue Anmeldung bei Ihrem Haven-Konto', body: ['Guten Tag {name},', 'am {when} (UTC) wurde Ihr Haven-Konto in einem Browser angemeldet, der bisher nicht verwendet wurde (Browser: {device}; Land: {country}).', 'Wenn Sie das waren, ist nichts zu tun.', 'Wenn Sie es nicht waren, verwenden Sie die Schaltfläche unten (7 Tage gültig): Sie werden überall abgemeldet, kein Browser bleibt vertrauenswürdig, und bei der nächsten Anmeldung ist ein neues Passwort nötig.'], action: 'Das war ich nicht' },
    nl: { subject: 'Nieuwe aanmelding op uw Haven-account', body: ['Beste {name},', 'Op {when} (UTC) is op uw Haven-account ingelogd vanuit een browser die nog niet eerder is gebruikt: {device}, vanuit {country}.', 'Was u dit? Dan hoeft u niets te doen.', 'Was u het niet? Gebruik dan de knop hieronder (7 dagen geldig): u wordt overal uitgelogd, geen enkele browser blijft vertrouwd, en bij de volgende aanmelding is een nieuw wachtwoord nodig.'], action: 'Dit was ik niet' },
  },
  // Someone outside the care team used emergency access (issue 5 §1.4). No patient name and no
  // reason: a mailbox is not a dossier; who and why are shown after signing in.
  break_glass_care_team: {
    en: { subject: 'Emergency access to a patient record at {organisation}', body: ['Hello {name},', 'Someone outside the care team has just opened the record of a patient in your care at {organisation}, using emergency access.', 'Sign in to Haven to see who it was and why.'], action: 'Sign in to Haven' },
    de: { subject: 'Notfallzugriff auf eine Patientenakte bei {organisation}', body: ['Guten Tag {name},', 'soeben hat jemand außerhalb des Behandlungsteams bei {organisation} per Notfallzugriff die Akte einer Patientin oder eines Patienten geöffnet, die oder den Sie betreuen.', 'Melden Sie sich bei Haven an, um zu sehen, wer es war und warum.'], action: 'Bei Haven anmelden' },
    nl: { subject: 'Noodtoegang tot een patiëntdossier bij {organisation}', body: ['Beste {name},', 'Zojuist heeft iemand buiten het behandelteam bij {organisation} met noodtoegang het dossier geopend van een patiënt die u behandelt.', 'Log in bij Haven om te zien wie het was en waarom.'], action: 'Inloggen bij Haven' },
  },
  // To the patient whose record was opened with emergency access. Like the care team's: no names,
  // no reason, nothing clinical (a mailbox is not a record) — who and why are in the portal.
  break_glass_patient: {
    en: { subject: 'Your record at {organisation} was opened with emergency access', body: ['Hello,', 'Someone at {organisation} who is not part of your care team has just opened your record using emergency access. This is allowed when it is needed for your care, and it is always recorded with a reason.', 'In your patient portal you can see who it was, when, and the reason they gave.'], action: 'See who opened my record' },
    de: { subject: 'Ihre Akte bei {organisation} wurde per Notfallzugriff geöffnet', body: ['Guten Tag,', 'soeben hat jemand bei {organisation}, der nicht zu Ihrem Behandlungsteam gehört, Ihre Akte per Notfallzugriff geöffnet. Das ist erlaubt, wenn es für Ihre Behandlung nötig ist, und wird immer mit einem Grund festgehalten.', 'In Ihrem Patientenportal sehen Sie, wer es war, wann und welchen Grund die Person angegeben hat.'], action: 'Sehen, wer meine Akte geöffnet hat' },
    nl: { subject: 'Uw dossier bij {organisation} is geopend met noodtoegang', body: ['Beste,', 'Zojuist heeft iemand bij {organisation} die niet tot uw behandelteam behoort uw dossier geopend met noodtoegang. Dat mag als het nodig is voor uw zorg, en het wordt altijd met een reden vastgelegd.', 'In uw patiëntenportaal ziet u wie het was, wanneer, en welke reden is opgegeven.'], action: 'Bekijken wie mijn dossier opende' },
  },
} satisfies Record<string, Catalogue>;

export type TemplateName = keyof typeof templates;

const roleNames: Record<Locale, Record<string, string>> = {
  en: { owner: 'owner', admin: 'administrator', practitioner: 'practitioner', assistant: 'assistant' },
  de: { owner: 'Inhaber/in', admin: 'Administrator/in', practitioner: 'Behandler/in', assistant: 'Assistenz' },
  nl: { owner: 'eigenaar', admin: 'beheerder', practitioner: 'behandelaar', assistant: 'assistent' },
};
export const roleName = (role: string, locale: Locale): string => roleNames[locale][role] ?? role;

const sessionNotes: Record<Locale, { all: string; others: string }> = {
  en: { all: 'All your sessions were ended.', others: 'Your other sessions were ended.' },
  de: { all: 'Alle Ihre Sitzungen wurden beendet.', others: 'Ihre anderen Sitzungen wurden beendet.' },
  nl: { all: 'Al uw sessies zijn beëindigd.', others: 'Uw andere sessies zijn beëindigd.' },
};
export const sessionNote = (which: 'all' | 'others', locale: Locale): string => sessionNotes[locale][which];

/** How an administrator checked a person's identity before resetting their factors, in words. */
const identityChecks: Record<Locale, Record<'in_person' | 'video_call' | 'phone_call', string>> = {
  en: { in_person: 'in person', video_call: 'by video call', phone_call: 'by phone, on a number known to the practice' },
  de: { in_person: 'persönlich', video_call: 'per Videoanruf', phone_call: 'telefonisch, unter einer der Praxis bekannten Nummer' },
  nl: { in_person: 'persoonlijk', video_call: 'via een videogesprek', phone_call: 'telefonisch, op een nummer dat de praktijk kent' },
};
export const identityCheckName = (check: 'in_person' | 'video_call' | 'phone_call', locale: Locale): string => identityChecks[locale][check];

/** A time as mails show it: "2026-11-23 08:15" (UTC, said in the text). */
export const utcMinute = (date: Date): string => date.toISOString().slice(0, 16).replace('T', ' ');

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

const fill = (text: string, params: Params): string => text.replace(/\{(\w+)\}/g, (_, key: string) => params[key] ?? '');

/** Masks an address for notices to the old one: "j***@example.org". */
export const maskEmail = (email: string): string => {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
};

/** The sentence a `second_factor_changed` mail says, per change. */
/** What a code mail says it is for (the first sentence of `second_factor_code`). */
export const sentCodePurposes = {
  setup: { en: 'You are turning on sign-in codes by e-mail.', de: 'Sie schalten Anmeldecodes per E-Mail ein.', nl: 'U zet inlogcodes per e-mail aan.' },
  sign_in: { en: 'Someone is signing in to your Haven account — we hope it is you.', de: 'Jemand meldet sich gerade bei Ihrem Haven-Konto an – hoffentlich Sie.', nl: 'Er wordt ingelogd op uw Haven-account — hopelijk door u.' },
  step_up: { en: 'You are confirming a change to your security settings.', de: 'Sie bestätigen eine Änderung Ihrer Sicherheitseinstellungen.', nl: 'U bevestigt een wijziging van uw beveiligingsinstellingen.' },
} as const satisfies Record<string, Record<Locale, string>>;

export const secondFactorChanges = {
  totp_enrolled: { en: 'an authenticator app was set up for signing in.', de: 'Für die Anmeldung wurde eine Authenticator-App eingerichtet.', nl: 'er is een authenticator-app ingesteld om mee in te loggen.' },
  totp_removed: { en: 'the authenticator app was removed from your account.', de: 'Die Authenticator-App wurde von Ihrem Konto entfernt.', nl: 'de authenticator-app is van uw account verwijderd.' },
  recovery_codes_generated: { en: 'new recovery codes were created; the old ones no longer work.', de: 'Es wurden neue Wiederherstellungscodes erstellt; die bisherigen gelten nicht mehr.', nl: 'er zijn nieuwe herstelcodes aangemaakt; de oude werken niet meer.' },
  recovery_code_used: { en: 'a recovery code was used to sign in. {remaining} codes are left.', de: 'Zur Anmeldung wurde ein Wiederherstellungscode verwendet. Es sind noch {remaining} Codes übrig.', nl: 'er is met een herstelcode ingelogd. Er zijn nog {remaining} codes over.' },
  // Without the passkey's name: it is the holder's text, and whoever changed it may not be the holder.
  passkey_added: { en: 'a passkey was added for signing in.', de: 'Für die Anmeldung wurde ein Passkey hinzugefügt.', nl: 'er is een toegangssleutel (passkey) toegevoegd om mee in te loggen.' },
  passkey_renamed: { en: 'one of your passkeys was renamed.', de: 'Einer Ihrer Passkeys wurde umbenannt.', nl: 'de naam van een van uw toegangssleutels (passkeys) is gewijzigd.' },
  passkey_removed: { en: 'a passkey was removed from your account.', de: 'Ein Passkey wurde von Ihrem Konto entfernt.', nl: 'er is een toegangssleutel (passkey) van uw account verwijderd.' },
  email_code_enabled: { en: 'sign-in codes by e-mail were turned on for your account.', de: 'Für Ihr Konto wurden Anmeldecodes per E-Mail eingeschaltet.', nl: 'inlogcodes per e-mail zijn voor uw account aangezet.' },
  email_code_removed: { en: 'sign-in codes by e-mail were turned off for your account.', de: 'Anmeldecodes per E-Mail wurden für Ihr Konto ausgeschaltet.', nl: 'inlogcodes per e-mail zijn voor uw account uitgezet.' },
  phone_added: { en: 'the phone number {masked} was added for sign-in codes by text message.', de: 'Die Telefonnummer {masked} wurde für Anmeldecodes per SMS hinzugefügt.', nl: 'het telefoonnummer {masked} is toegevoegd voor inlogcodes per sms.' },
  phone_removed: { en: 'the phone number for sign-in codes by text message was removed.', de: 'Die Telefonnummer für Anmeldecodes per SMS wurde entfernt.', nl: 'het telefoonnummer voor inlogcodes per sms is verwijderd.' },
} as const satisfies Record<string, Record<Locale, string>>;

export function renderMail(name: TemplateName, locale: Locale, to: string, params: Params, link?: string): OutgoingMail {
  const template: Template = templates[name][locale];
  const paragraphs = template.body.map((line) => fill(line, params));
  const subject = fill(template.subject, params);
  const action = template.action && link ? { label: fill(template.action, params), link } : null;
  const text = [...paragraphs, ...(action ? [`${action.label}: ${action.link}`] : []), '— Haven'].join('\n\n');
  const html = `<!doctype html><html lang="${locale}"><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2933;max-width:560px">${paragraphs
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('')}${
    action
      ? `<p><a href="${escapeHtml(action.link)}" style="display:inline-block;background:#0b7285;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(action.label)}</a></p><p style="font-size:12px;color:#52606d">${escapeHtml(action.link)}</p>`
      : ''
  }<p style="font-size:12px;color:#52606d">Haven</p></body></html>`;
  return { to, subject, text, html, links: link ? [link] : [], template: name };
}
