/**
 * Text samples for the token-estimator accuracy test. Prose in scripts we have no files for
 * on this machine, written by hand for the test (what a chat user would plausibly send);
 * everything else is read from real files (node_modules sources, ../shared fixtures).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_DIR = fileURLToPath(new URL("../../../", import.meta.url));
export const SHARED_DIR = join(REPO_DIR, "..", "shared");

export const CHINESE = [
  "大型语言模型在处理很长的上下文时，往往对开头和结尾的内容关注最多，而对中间部分的信息关注较少。",
  "因此，当提示词超过模型的上下文窗口时，网关会优先删除对话中间的消息，同时保留系统提示、第一条用户消息以及最后一轮对话。",
  "这种做法被称为“中间压缩”。它的好处是请求不会因为长度超限而被拒绝，坏处是模型可能看不到一些重要的细节。",
  "所以我们会在响应中告诉用户到底删除了多少条消息、多少个词元，让他们自己决定是否需要换用上下文更长的模型。",
  "今天北京的天气晴朗，最高气温二十八度，最低气温十六度，适合外出散步。明天可能会有小雨，请记得带伞。",
  "我昨天去书店买了三本书：一本关于历史，一本关于计算机科学，还有一本是给孩子的童话故事集。",
  "如果你在使用过程中遇到任何问题，请随时联系我们的技术支持团队，我们会尽快为你解决。",
].join("");

export const JAPANESE = [
  "大規模言語モデルは、長い文脈の最初と最後の部分には注意を払いますが、真ん中の情報は見落としがちです。",
  "そのため、プロンプトがコンテキストウィンドウを超えた場合、ゲートウェイは会話の中央にあるメッセージから順番に削除します。",
  "システムプロンプト、最初のユーザーメッセージ、そして最後のやり取りは必ず残されます。",
  "昨日は友達と一緒に京都へ行きました。お寺をいくつか見て回り、夜はおいしいラーメンを食べました。",
  "東京の電車はとても混んでいますが、時間通りに来るのでとても便利です。",
  "このライブラリを使うと、ストリーミングの応答をチャンクごとに処理できます。エラーが発生した場合は、例外が投げられます。",
  "ご不明な点がございましたら、お気軽にサポートチームまでお問い合わせください。",
].join("");

export const RUSSIAN = [
  "Большие языковые модели лучше всего запоминают начало и конец длинного контекста, а середину часто упускают из виду. ",
  "Поэтому, когда запрос не помещается в контекстное окно, шлюз удаляет сообщения из середины диалога, ",
  "сохраняя системную подсказку, первое сообщение пользователя и последний обмен репликами. ",
  "Вчера мы с друзьями ездили за город: погода была прекрасная, мы жарили шашлыки и играли в волейбол до самого вечера. ",
  "Если у вас возникли вопросы по настройке сервера, обратитесь к документации или напишите в службу поддержки. ",
  "Пожалуйста, проверьте, что переменная окружения указана правильно, и перезапустите приложение.",
].join("");

export const ARABIC = [
  "تنتبه النماذج اللغوية الكبيرة إلى بداية السياق الطويل ونهايته أكثر من انتباهها إلى وسطه. ",
  "لذلك، عندما يتجاوز الطلب نافذة السياق، تحذف البوابة الرسائل من منتصف المحادثة أولاً، ",
  "مع الإبقاء على رسالة النظام وأول رسالة من المستخدم وآخر جولة من الحوار. ",
  "ذهبنا أمس إلى السوق القديم واشترينا الكثير من التوابل والفواكه الطازجة، ثم تناولنا العشاء في مطعم صغير قرب البحر. ",
  "إذا واجهت أي مشكلة أثناء استخدام الخدمة، يرجى التواصل مع فريق الدعم الفني وسنساعدك في أقرب وقت ممكن.",
].join("");

/** Every file under `dir` whose name ends with one of `exts`, read and concatenated. */
export function readTree(dir: string, exts: string[], maxChars = 400_000): string {
  const out: string[] = [];
  let size = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (size >= maxChars) return;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e))) {
        const text = readFileSync(p, "utf8");
        out.push(text);
        size += text.length;
      }
    }
  };
  walk(dir);
  return out.join("\n");
}

/** Markdown prose with fenced code blocks removed. */
export function proseOf(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, "");
}

/** Extra scripts, to set the estimator's weights for them (not part of the required set). */
export const KOREAN = [
  "대규모 언어 모델은 긴 문맥의 처음과 끝에는 주의를 기울이지만, 중간에 있는 정보는 놓치기 쉽습니다. ",
  "그래서 프롬프트가 컨텍스트 창을 넘으면 게이트웨이는 대화의 가운데에 있는 메시지부터 삭제합니다. ",
  "어제는 친구들과 함께 부산에 가서 바다를 보고 맛있는 회를 먹었습니다. ",
  "문제가 발생하면 언제든지 고객 지원팀에 문의해 주세요.",
].join("");

export const HINDI = [
  "बड़े भाषा मॉडल लंबे संदर्भ की शुरुआत और अंत पर सबसे अधिक ध्यान देते हैं, लेकिन बीच की जानकारी अक्सर छूट जाती है। ",
  "इसलिए जब अनुरोध संदर्भ विंडो से बड़ा हो जाता है, तो गेटवे बातचीत के बीच से संदेश हटाता है। ",
  "कल हम दोस्तों के साथ बाज़ार गए और वहाँ से ताज़े फल और सब्ज़ियाँ खरीदीं। ",
  "यदि आपको कोई समस्या हो, तो कृपया हमारी सहायता टीम से संपर्क करें।",
].join("");

export const GREEK = [
  "Τα μεγάλα γλωσσικά μοντέλα δίνουν μεγαλύτερη προσοχή στην αρχή και στο τέλος ενός μεγάλου κειμένου. ",
  "Γι' αυτό, όταν το αίτημα δεν χωράει στο παράθυρο, η πύλη αφαιρεί μηνύματα από τη μέση της συζήτησης. ",
  "Χθες πήγαμε με φίλους στη θάλασσα και φάγαμε φρέσκο ψάρι σε μια μικρή ταβέρνα.",
].join("");

export const EUROPEAN = [
  "Große Sprachmodelle achten vor allem auf den Anfang und das Ende eines langen Kontexts; die Mitte wird oft übersehen. ",
  "Deshalb löscht das Gateway zuerst Nachrichten aus der Mitte des Gesprächs, wenn die Anfrage nicht ins Kontextfenster passt. ",
  "Les grands modèles de langage prêtent surtout attention au début et à la fin d'un long contexte ; le milieu est souvent négligé. ",
  "Hier, nous sommes allés au marché acheter des légumes frais et une baguette encore chaude. ",
  "Los grandes modelos de lenguaje prestan más atención al principio y al final de un contexto largo. ",
  "Mañana iremos a la playa si no llueve; ¿quieres venir con nosotros?",
].join("");
