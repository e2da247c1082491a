// The words a plain-text bounce uses to say that delivery failed, or only was delayed, in English
// and in the languages mail systems localise their reports into (German, French, Spanish,
// Portuguese, Italian, Dutch, Polish, Scandinavian, Czech, Russian, Japanese, Chinese, Korean...).
// Each rule is read through plain(): contractions spelt out, so "wasn’t" is matched as "was not".

/**
 * Text as the phrase rules read it: typographic apostrophes made plain and contractions spelt out
 * ("wasn't" as "was not", Gmail's "couldn’t be found" as "could not be found"), so each rule names
 * the negation once. Only for matching: addresses and diagnostics are taken from the text as written.
 */
const plain = (text: string): string =>
  text
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/\bwon't\b/gi, 'will not')
    .replace(/\bcan't\b/gi, 'cannot')
    .replace(/n't\b/gi, ' not');

/** True when the phrase rule `re` matches the text read plainly (see plain()). */
export const says = (re: RegExp, text: string): boolean => re.test(plain(text));

const anyOf = (...parts: string[]) => new RegExp(`(?:${parts.join('|')})`, 'i');

// "The following recipients", "could not be delivered to": what comes next names recipients.
export const INTRO = anyOf(
  String.raw`following (?:recipients?|address(?:es|\(es\))?|destinations?)|could not be delivered to|was not delivered to|not be delivered to|did not reach|delivery to the following|your message to|failed recipients?|recipients? failed|originally addressed to|delivery problems? to|delivery of (?:e-?mail|your message) to|message to you?|addresses? failed|undeliverable (?:to|address)|unable to deliver (?:mail|message)? ?to`,
  String.raw`folgenden? (?:Empfänger|Adresse)|destinataires? suivants?|(?:siguientes|seguintes) destinat[aá]rios|seguenti destinatari|volgende ontvangers?|następując\S* (?:odbiorc|adres)|следующ\S* (?:получател|адресат)|以下の(?:アドレス|宛先|受信者)|以下(?:收件人|地址)`,
);

// A recipient's failure in the report's own words. English first, then other languages: "not
// delivered", "undeliverable", "unknown user", "mailbox full", "does not exist".
export const FAILURE = anyOf(
  String.raw`user unknown|unknown (?:user|recipient|address|mailbox|local)|no such (?:user|mailbox|address|recipient|domain)|not (?:be )?(?:found|known|exist|recognized|accepting|reachable|responding|delivered)|does ?n[o']t exist|did ?n[o']t\s+(?:exactly\s+)?match|mailbox (?:is )?(?:full|unavailable|disabled|inactive|not)|quota|over ?quota|disk space|rejected|refused|undeliverable|could ?n[o']t be delivered|cannot be delivered|unable to deliver|delivery (?:failed|has failed|failure)|failed permanently|permanent(?:ly)? (?:error|fail)|invalid (?:[\w-]+ ){0,3}?(?:recipient|address|mailbox|user(?: ?id)?)|disabled|discontinued|deactivated|suspended|expired|blocked|host unknown|unrouteable|relay(?:ing)? denied|too much mail|exceeded|fatal error|error|failed`,
  // German
  String.raw`nicht (?:zugestellt|ausgeliefert|zustellbar|gefunden|vorhanden)|unzustellbar|existiert nicht|unbekannt|Postfach (?:ist )?voll|ist voll|fehlgeschlagen`,
  // French
  String.raw`n'a pas (?:pu )?(?:être )?(?:été )?(?:remis|distribué|délivré|livré|transmis|acheminé)|non (?:remis|distribué|délivré|livré)|introuvable|inconnue?|inexistante?|n'existe pas|boîte (?:aux lettres |de réception )?(?:est )?pleine|est pleine|échec (?:de|lors de) (?:la )?(?:remise|distribution|livraison)`,
  // Spanish and Portuguese
  String.raw`no (?:se )?(?:pudo|puede|ha podido) (?:ser )?entregar|no (?:pudo|puede|ha podido) ser entregad|no entregad|desconocid|no existe|buz[oó]n (?:est[aá] )?llen|est[aá] llen[oa]|não (?:pôde|pode|foi possível) (?:ser )?entreg|não (?:foi )?entregue|desconhecid|inexistente|não existe|caixa (?:postal |de correio )?(?:está )?cheia|está cheia`,
  // Italian and Dutch
  String.raw`non (?:è|e'|é) stato recapitat|non (?:può|puo'|potuto) essere recapitat|non recapitat|sconosciut|non esiste|casella (?:di posta )?(?:è )?piena|è piena|kon niet (?:worden )?(?:bezorgd|afgeleverd)|niet (?:bezorgd|afgeleverd)|onbestelbaar|onbekend|bestaat niet|mailbox (?:is )?vol`,
  // Polish, Scandinavian, Czech, Turkish, Hungarian
  String.raw`nie (?:mogła|może|można|został[ao]?)\s+(?:zostać\s+)?dostarcz|niedostarczon|nieznan|nie istnieje|kunde inte levereras|kunne ikke (?:leveres|afleveres)|okänd mottagare|ukendt modtager|nelze doručit|nemohl[ao]? být doručen|teslim edilemedi|nem kézbesíthető`,
  // Russian, Japanese, Chinese, Korean
  String.raw`не (?:может быть |было |удалось )?доставлен|не удалось доставить|не найден|не существует|переполнен|配信(?:でき(?:ません|なかった)|に失敗|エラー)|届けられませんでした|存在しません|見つかりません|宛先不明|无法(?:投递|送达|发送)|投递失败|發送失敗|無法(?:投遞|傳遞|送達)|不存在|전달(?:되지|할 수) 않|전송(?:에)? 실패|존재하지 않`,
);

export const DELAY = anyOf(
  String.raw`will (?:continue to |keep )?(?:retry|try|attempt)|still (?:trying|being retried)|postponed|advisory|delayed|delivery delay|temporar(?:y|ily)|this is (?:just )?a warning|warning:|is being retried|retry (?:timeout|until)`,
  String.raw`verzögert|retardé|retrasad|atrasad|ritardat|vertraagd|opóźnion|задерж|遅延|延迟|延遲`,
);
export const PERMANENT = anyOf(
  String.raw`permanent|fatal|(?:is|was|were) undeliverable|failed permanently|gave up|giving up|have been deleted|returned to sender|could not be delivered|cannot be delivered|user unknown|no such`,
);
// Words only a delay warning uses: nothing to resend, delivery goes on. In any language "not yet
// delivered" holds the words of a failure, so it is read here first.
export const WARNING_ONLY = anyOf(
  String.raw`warning (?:message )?only|not yet been delivered|not been delivered yet|(?:do not|don't) need to resend|no action is required on your part|will be retried (?:until|for)|delivery attempts will continue|will (?:continue to|keep) (?:try|trying|retry|attempt)`,
  String.raw`noch nicht (?:zugestellt|ausgeliefert)|nur eine Warnung|pas encore (?:été )?(?:remis|distribué|délivré|livré)|(?:aún|todavía) no (?:ha sido|se ha) entregad|ainda não (?:foi )?entregue|non (?:è|e') ancora stato recapitat|nog niet (?:bezorgd|afgeleverd)|jeszcze nie (?:został[ao]? )?dostarczon|(?:ещё|еще) не (?:было )?доставлен|まだ配信されていません|尚未(?:投递|送达)`,
);

// Where the copy of the returned message (or its headers) starts in a plain-text report, in
// English and as localised reports caption it ("Kopie der Nachricht", "message d'origine").
export const ORIGINAL_START = new RegExp(
  String.raw`^\s*(?:[-=_*]{2,}.*)?(?:original message|returned message|undelivered message|below this line is a copy|this is a copy of|copy of the (?:original )?message|message headers follow|original message follows|headers of your message|text of your message|unsent message)|^\s*-{2,}\s*(?:the )?original|(?:lines|copy|headers) of (?:your|the) original message` +
    String.raw`|^\s*(?:[-=_*]{2,}.*)?(?:Kopie (?:der|Ihrer) (?:ursprünglichen )?Nachricht|ursprüngliche Nachricht|Originalnachricht|message (?:d'origine|original)|copie (?:du|de votre) message|mensaje original|copia del mensaje|mensagem original|cópia da mensagem|messaggio originale|copia del messaggio|oorspronkelijk(?:e)? bericht|kopie van (?:het|uw) bericht|(?:oryginalna )?wiadomość oryginalna|исходное сообщение|оригинальное сообщение|元のメッセージ|原始邮件|原邮件)`,
  'i',
);
