// Signs a Swifood Open API request through p11signd and checks the signature with
// java.security.Signature (SHA256withRSA) and the one line of base64 SPKI uploaded to Swifood.
// Java 17, no libraries: run it with `java SwifoodOrder.java swifood-public-key.b64`.
//
// The HTTP exchange is written out over a Unix-domain SocketChannel (Java 16+) because
// java.net.http cannot use a Unix socket; an application would use its HTTP and JSON libraries.
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class SwifoodOrder {
    static String socketPath() {
        String s = System.getenv("P11SIGN_SOCKET");
        return s != null ? s : "/run/p11signd/p11signd.sock";
    }

    // POSTs a JSON body; returns the answer's body, or throws with the daemon's status and message.
    static String post(String path, String json) throws Exception {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socketPath()));
            channel.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            channel.write(ByteBuffer.wrap(body));
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) > 0) {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            String text = answer.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String status = text.substring(0, text.indexOf("\r\n"));
            String payload = text.substring(split + 4);
            if (!status.startsWith("HTTP/1.1 200")) throw new IllegalStateException(status + ": " + payload);
            return payload;
        }
    }

    // JSON string escaping for the one string this program sends inside JSON.
    static String jsonString(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append('"').toString();
    }

    // The value of a base64 string field in the daemon's answer (base64 needs no unescaping).
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([A-Za-z0-9+/=]*)\"").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + name + " in " + json);
        return m.group(1);
    }

    public static void main(String[] args) throws Exception {
        String publicKeyFile = args.length > 0 ? args[0] : "swifood-public-key.b64";
        // The param text is built once and sent as a string: the signature covers these exact bytes,
        // and the request to Swifood must carry them unchanged.
        String param = "{\"orderNo\":\"SO-" + System.currentTimeMillis() + "\",\"amount\":\"18.50\","
                + "\"currency\":\"EUR\",\"remark\":\"no onions, extra \\\"sauce\\\"\"}";
        String answer = post("/v1/schemes/swifood/sign",
                "{\"key\":\"swifood-store1\",\"param\":" + jsonString(param) + "}");
        String sign = field(answer, "sign");

        byte[] spki = Base64.getDecoder().decode(Files.readString(Path.of(publicKeyFile)).trim());
        PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(key);
        verifier.update(param.getBytes(StandardCharsets.UTF_8));
        if (!verifier.verify(Base64.getDecoder().decode(sign))) {
            System.err.println("signature does NOT verify with the uploaded public key");
            System.exit(1);
        }
        System.out.println("request body to send: " + answer.substring(0, Math.min(60, answer.length())) + "...");
        System.out.println("sign verified with java.security.Signature SHA256withRSA and the uploaded key");
    }
}
