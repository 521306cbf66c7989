/**
 * Static voice table: BCP-47 language → espeak-ng voice, built from `espeak-ng --voices` (eSpeak NG
 * 1.51). Every language gets a male and a female voice through espeak variants (see
 * `GENDER_VARIANTS`); `sample` is a short greeting in the language, used for previews and tests.
 */

/** One language of the voice table. */
export interface VoiceTableEntry {
  /** Canonical BCP-47 tag, e.g. `pt-BR`. */
  language: string;
  /**
   * espeak-ng voice file passed to `-v` (the File column of `espeak-ng --voices`): espeak-ng 1.51
   * ignores a `+variant` after some language codes (`en-gb+f3` speaks male), never after a file.
   */
  espeakVoice: string;
  /** English display name. */
  name: string;
  /** Other tags that select this entry exactly (e.g. the bare language `pt` → Portugal). */
  aliases: readonly string[];
  /** A short greeting in the language and its usual script. */
  sample: string;
}

/** espeak-ng variants giving each language a male and a female voice; `neutral` uses the voice as is. */
export const GENDER_VARIANTS = { male: 'm3', female: 'f3' } as const;

/** Every language callbin can speak. */
export const VOICE_TABLE: readonly VoiceTableEntry[] = [
  { language: 'en-US', espeakVoice: 'gmw/en-US', name: "English (United States)", aliases: ['en'], sample: "Hello, thank you for calling." },
  { language: 'en-GB', espeakVoice: 'gmw/en', name: "English (United Kingdom)", aliases: [], sample: "Hello, thank you for calling." },
  { language: 'en-GB-scotland', espeakVoice: 'gmw/en-GB-scotland', name: "English (Scotland)", aliases: [], sample: "Hello, thank you for calling." },
  { language: 'en-029', espeakVoice: 'gmw/en-029', name: "English (Caribbean)", aliases: [], sample: "Hello, thank you for calling." },
  { language: 'es-ES', espeakVoice: 'roa/es', name: "Spanish (Spain)", aliases: ['es'], sample: "Hola, gracias por llamar." },
  { language: 'es-419', espeakVoice: 'roa/es-419', name: "Spanish (Latin America)", aliases: ['es-MX', 'es-US'], sample: "Hola, gracias por llamar." },
  { language: 'fr-FR', espeakVoice: 'roa/fr', name: "French (France)", aliases: ['fr'], sample: "Bonjour, merci de votre appel." },
  { language: 'fr-BE', espeakVoice: 'roa/fr-BE', name: "French (Belgium)", aliases: [], sample: "Bonjour, merci de votre appel." },
  { language: 'fr-CH', espeakVoice: 'roa/fr-CH', name: "French (Switzerland)", aliases: [], sample: "Bonjour, merci de votre appel." },
  { language: 'pt-PT', espeakVoice: 'roa/pt', name: "Portuguese (Portugal)", aliases: ['pt'], sample: "Olá, obrigado pela sua chamada." },
  { language: 'pt-BR', espeakVoice: 'roa/pt-BR', name: "Portuguese (Brazil)", aliases: [], sample: "Olá, obrigado pela sua ligação." },
  { language: 'de-DE', espeakVoice: 'gmw/de', name: "German", aliases: ['de'], sample: "Hallo, danke für Ihren Anruf." },
  { language: 'it-IT', espeakVoice: 'roa/it', name: "Italian", aliases: ['it'], sample: "Ciao, grazie per aver chiamato." },
  { language: 'nl-NL', espeakVoice: 'gmw/nl', name: "Dutch", aliases: ['nl'], sample: "Hallo, bedankt voor uw oproep." },
  { language: 'ko-KR', espeakVoice: 'ko', name: "Korean", aliases: ['ko'], sample: "안녕하세요, 전화해 주셔서 감사합니다." },
  { language: 'ja-JP', espeakVoice: 'jpx/ja', name: "Japanese", aliases: ['ja'], sample: "こんにちは、ありがとうございます。" },
  { language: 'zh-CN', espeakVoice: 'sit/cmn', name: "Chinese (Mandarin)", aliases: ['zh', 'cmn'], sample: "你好，感谢您的来电。" },
  { language: 'zh-HK', espeakVoice: 'sit/yue', name: "Chinese (Cantonese)", aliases: ['yue'], sample: "你好，多謝你嘅來電。" },
  { language: 'ar', espeakVoice: 'sem/ar', name: "Arabic", aliases: [], sample: "مرحبا، شكرا لاتصالك." },
  { language: 'hi-IN', espeakVoice: 'inc/hi', name: "Hindi", aliases: ['hi'], sample: "नमस्ते, कॉल करने के लिए धन्यवाद।" },
  { language: 'ru-RU', espeakVoice: 'zle/ru', name: "Russian", aliases: ['ru'], sample: "Здравствуйте, спасибо за звонок." },
  { language: 'tr-TR', espeakVoice: 'trk/tr', name: "Turkish", aliases: ['tr'], sample: "Merhaba, aradığınız için teşekkürler." },
  { language: 'pl-PL', espeakVoice: 'zlw/pl', name: "Polish", aliases: ['pl'], sample: "Dzień dobry, dziękujemy za telefon." },
  { language: 'sv-SE', espeakVoice: 'gmq/sv', name: "Swedish", aliases: ['sv'], sample: "Hej, tack för att du ringde." },
  { language: 'da-DK', espeakVoice: 'gmq/da', name: "Danish", aliases: ['da'], sample: "Hej, tak fordi du ringede." },
  { language: 'nb-NO', espeakVoice: 'gmq/nb', name: "Norwegian Bokmål", aliases: ['nb', 'no'], sample: "Hei, takk for at du ringte." },
  { language: 'fi-FI', espeakVoice: 'urj/fi', name: "Finnish", aliases: ['fi'], sample: "Hei, kiitos soitostasi." },
  { language: 'cs-CZ', espeakVoice: 'zlw/cs', name: "Czech", aliases: ['cs'], sample: "Dobrý den, děkujeme za zavolání." },
  { language: 'sk-SK', espeakVoice: 'zlw/sk', name: "Slovak", aliases: ['sk'], sample: "Dobrý deň, ďakujeme za zavolanie." },
  { language: 'hu-HU', espeakVoice: 'urj/hu', name: "Hungarian", aliases: ['hu'], sample: "Jó napot, köszönjük a hívását." },
  { language: 'ro-RO', espeakVoice: 'roa/ro', name: "Romanian", aliases: ['ro'], sample: "Bună ziua, vă mulțumim pentru apel." },
  { language: 'bg-BG', espeakVoice: 'zls/bg', name: "Bulgarian", aliases: ['bg'], sample: "Здравейте, благодарим ви за обаждането." },
  { language: 'el-GR', espeakVoice: 'grk/el', name: "Greek", aliases: ['el'], sample: "Γεια σας, ευχαριστούμε για την κλήση σας." },
  { language: 'uk-UA', espeakVoice: 'zle/uk', name: "Ukrainian", aliases: ['uk'], sample: "Добрий день, дякуємо за дзвінок." },
  { language: 'hr-HR', espeakVoice: 'zls/hr', name: "Croatian", aliases: ['hr'], sample: "Dobar dan, hvala na pozivu." },
  { language: 'sr-RS', espeakVoice: 'zls/sr', name: "Serbian", aliases: ['sr'], sample: "Dobar dan, hvala na pozivu." },
  { language: 'sl-SI', espeakVoice: 'zls/sl', name: "Slovenian", aliases: ['sl'], sample: "Dober dan, hvala za klic." },
  { language: 'bs-BA', espeakVoice: 'zls/bs', name: "Bosnian", aliases: ['bs'], sample: "Dobar dan, hvala na pozivu." },
  { language: 'mk-MK', espeakVoice: 'zls/mk', name: "Macedonian", aliases: ['mk'], sample: "Добар ден, ви благодариме за повикот." },
  { language: 'sq-AL', espeakVoice: 'ine/sq', name: "Albanian", aliases: ['sq'], sample: "Përshëndetje, faleminderit që telefonuat." },
  { language: 'lt-LT', espeakVoice: 'bat/lt', name: "Lithuanian", aliases: ['lt'], sample: "Laba diena, ačiū, kad paskambinote." },
  { language: 'lv-LV', espeakVoice: 'bat/lv', name: "Latvian", aliases: ['lv'], sample: "Labdien, paldies par zvanu." },
  { language: 'et-EE', espeakVoice: 'urj/et', name: "Estonian", aliases: ['et'], sample: "Tere, aitäh helistamast." },
  { language: 'is-IS', espeakVoice: 'gmq/is', name: "Icelandic", aliases: ['is'], sample: "Halló, takk fyrir að hringja." },
  { language: 'ga-IE', espeakVoice: 'cel/ga', name: "Irish", aliases: ['ga'], sample: "Dia duit, go raibh maith agat as glaoch." },
  { language: 'cy-GB', espeakVoice: 'cel/cy', name: "Welsh", aliases: ['cy'], sample: "Helo, diolch am ffonio." },
  { language: 'gd-GB', espeakVoice: 'cel/gd', name: "Scottish Gaelic", aliases: ['gd'], sample: "Halò, tapadh leibh airson fònadh." },
  { language: 'eu-ES', espeakVoice: 'eu', name: "Basque", aliases: ['eu'], sample: "Kaixo, eskerrik asko deitzeagatik." },
  { language: 'ca-ES', espeakVoice: 'roa/ca', name: "Catalan", aliases: ['ca'], sample: "Hola, gràcies per trucar." },
  { language: 'he-IL', espeakVoice: 'sem/he', name: "Hebrew", aliases: ['he', 'iw'], sample: "שלום, תודה על השיחה." },
  { language: 'fa-IR', espeakVoice: 'ira/fa', name: "Persian", aliases: ['fa'], sample: "سلام، از تماس شما متشکریم." },
  { language: 'ur-PK', espeakVoice: 'inc/ur', name: "Urdu", aliases: ['ur'], sample: "السلام علیکم، کال کرنے کا شکریہ۔" },
  { language: 'bn-BD', espeakVoice: 'inc/bn', name: "Bengali", aliases: ['bn', 'bn-IN'], sample: "নমস্কার, ফোন করার জন্য ধন্যবাদ।" },
  { language: 'ta-IN', espeakVoice: 'dra/ta', name: "Tamil", aliases: ['ta'], sample: "வணக்கம், அழைத்ததற்கு நன்றி." },
  { language: 'te-IN', espeakVoice: 'dra/te', name: "Telugu", aliases: ['te'], sample: "నమస్కారం, కాల్ చేసినందుకు ధన్యవాదాలు." },
  { language: 'kn-IN', espeakVoice: 'dra/kn', name: "Kannada", aliases: ['kn'], sample: "ನಮಸ್ಕಾರ, ಕರೆ ಮಾಡಿದ್ದಕ್ಕೆ ಧನ್ಯವಾದಗಳು." },
  { language: 'ml-IN', espeakVoice: 'dra/ml', name: "Malayalam", aliases: ['ml'], sample: "നമസ്കാരം, വിളിച്ചതിന് നന്ദി." },
  { language: 'mr-IN', espeakVoice: 'inc/mr', name: "Marathi", aliases: ['mr'], sample: "नमस्कार, कॉल केल्याबद्दल धन्यवाद." },
  { language: 'gu-IN', espeakVoice: 'inc/gu', name: "Gujarati", aliases: ['gu'], sample: "નમસ્તે, કૉલ કરવા બદલ આભાર." },
  { language: 'pa-IN', espeakVoice: 'inc/pa', name: "Punjabi", aliases: ['pa'], sample: "ਸਤ ਸ੍ਰੀ ਅਕਾਲ, ਕਾਲ ਕਰਨ ਲਈ ਧੰਨਵਾਦ।" },
  { language: 'ne-NP', espeakVoice: 'inc/ne', name: "Nepali", aliases: ['ne'], sample: "नमस्ते, फोन गर्नुभएकोमा धन्यवाद।" },
  { language: 'si-LK', espeakVoice: 'inc/si', name: "Sinhala", aliases: ['si'], sample: "ආයුබෝවන්, ඇමතුමට ස්තූතියි." },
  { language: 'or-IN', espeakVoice: 'inc/or', name: "Odia", aliases: ['or'], sample: "ନମସ୍କାର, ଧନ୍ୟବାଦ।" },
  { language: 'as-IN', espeakVoice: 'inc/as', name: "Assamese", aliases: ['as'], sample: "নমস্কাৰ, ধন্যবাদ।" },
  { language: 'th-TH', espeakVoice: 'tai/th', name: "Thai", aliases: ['th'], sample: "สวัสดีครับ ขอบคุณที่โทรมา" },
  { language: 'vi-VN', espeakVoice: 'aav/vi', name: "Vietnamese (Northern)", aliases: ['vi'], sample: "Xin chào, cảm ơn bạn đã gọi." },
  { language: 'id-ID', espeakVoice: 'poz/id', name: "Indonesian", aliases: ['id'], sample: "Halo, terima kasih telah menelepon." },
  { language: 'ms-MY', espeakVoice: 'poz/ms', name: "Malay", aliases: ['ms'], sample: "Helo, terima kasih kerana menelefon." },
  { language: 'sw-KE', espeakVoice: 'bnt/sw', name: "Swahili", aliases: ['sw'], sample: "Habari, asante kwa kupiga simu." },
  { language: 'af-ZA', espeakVoice: 'gmw/af', name: "Afrikaans", aliases: ['af'], sample: "Hallo, dankie dat u gebel het." },
  { language: 'am-ET', espeakVoice: 'sem/am', name: "Amharic", aliases: ['am'], sample: "ሰላም፣ ስለደወሉ እናመሰግናለን።" },
  { language: 'az-AZ', espeakVoice: 'trk/az', name: "Azerbaijani", aliases: ['az'], sample: "Salam, zəng etdiyiniz üçün təşəkkür edirik." },
  { language: 'kk-KZ', espeakVoice: 'trk/kk', name: "Kazakh", aliases: ['kk'], sample: "Сәлеметсіз бе, қоңырау шалғаныңызға рахмет." },
  { language: 'ky-KG', espeakVoice: 'trk/ky', name: "Kyrgyz", aliases: ['ky'], sample: "Саламатсызбы, чалганыңыз үчүн рахмат." },
  { language: 'uz-UZ', espeakVoice: 'trk/uz', name: "Uzbek", aliases: ['uz'], sample: "Salom, qo'ng'iroq qilganingiz uchun rahmat." },
  { language: 'ka-GE', espeakVoice: 'ccs/ka', name: "Georgian", aliases: ['ka'], sample: "გამარჯობა, მადლობა დარეკვისთვის." },
  { language: 'hy-AM', espeakVoice: 'ine/hy', name: "Armenian", aliases: ['hy'], sample: "Բարև, շնորհակալություն զանգի համար." },
  { language: 'mt-MT', espeakVoice: 'sem/mt', name: "Maltese", aliases: ['mt'], sample: "Bonġu, grazzi talli ċempilt." },
  { language: 'lb-LU', espeakVoice: 'gmw/lb', name: "Luxembourgish", aliases: ['lb'], sample: "Moien, merci fir Ären Uruff." },
  { language: 'my-MM', espeakVoice: 'sit/my', name: "Burmese", aliases: ['my'], sample: "မင်္ဂလာပါ၊ ကျေးဇူးတင်ပါတယ်။" },
  { language: 'tt-RU', espeakVoice: 'trk/tt', name: "Tatar", aliases: ['tt'], sample: "Исәнмесез, шалтыратуыгыз өчен рәхмәт." },
  { language: 'mi-NZ', espeakVoice: 'poz/mi', name: "Māori", aliases: ['mi'], sample: "Kia ora, tēnā koe mō tō waea mai." },
  { language: 'ht-HT', espeakVoice: 'roa/ht', name: "Haitian Creole", aliases: ['ht'], sample: "Bonjou, mèsi paske ou rele." },
  { language: 'eo', espeakVoice: 'art/eo', name: "Esperanto", aliases: [], sample: "Saluton, dankon pro via voko." },
  { language: 'la', espeakVoice: 'itc/la', name: "Latin", aliases: [], sample: "Salve, gratias tibi ago." },
  { language: 'ku', espeakVoice: 'ira/ku', name: "Kurdish (Kurmanji)", aliases: [], sample: "Silav, spas ji bo banga we." },
  { language: 'tn-ZA', espeakVoice: 'bnt/tn', name: "Setswana", aliases: ['tn'], sample: "Dumela, re a leboga go letsa." },
  { language: 'om-ET', espeakVoice: 'cus/om', name: "Oromo", aliases: ['om'], sample: "Akkam, nu bilbilchuu keessaniif galatoomaa." },
  { language: 'qu-PE', espeakVoice: 'qu', name: "Quechua", aliases: ['qu'], sample: "Allillanchu, sulpayki." },
  { language: 'kl-GL', espeakVoice: 'esx/kl', name: "Greenlandic", aliases: ['kl'], sample: "Aluu, qujanaq." },
  { language: 'tk-TM', espeakVoice: 'trk/tk', name: "Turkmen", aliases: ['tk'], sample: "Salam, jaň edeniňiz üçin sag boluň." },
  { language: 'ug-CN', espeakVoice: 'trk/ug', name: "Uyghur", aliases: ['ug'], sample: "ياخشىمۇسىز، رەھمەت." },
];
