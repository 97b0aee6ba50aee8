package org.cardbound.tomcat;

import java.io.File;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.catalina.Container;
import org.apache.catalina.Engine;
import org.apache.catalina.connector.Connector;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;
import org.apache.tomcat.util.net.jsse.PEMFile;
import org.cardbound.core.session.SiteIdentity;

// The key and chain that sign the site's challenges, receipts and presence
// challenges. By default the site's own TLS key: the first HTTPS connector's
// default SSLHostConfig, its PEM files read with Tomcat's own PEMFile (so any
// key form Tomcat takes works here too). Or given files (siteCertificate,
// siteKey). A keystore-based connector needs the files named explicitly.
final class SiteKeys {
    private SiteKeys() {}

    static SiteIdentity fromFiles(String chainFile, String chainMore, String keyFile, String keyPassword) {
        try {
            List<X509Certificate> chain = new ArrayList<>(new PEMFile(absolute(chainFile)).getCertificates());
            if (chainMore != null) chain.addAll(new PEMFile(absolute(chainMore)).getCertificates());
            PrivateKey key = new PEMFile(absolute(keyFile), keyPassword).getPrivateKey();
            if (chain.isEmpty()) throw new IllegalArgumentException(chainFile + " holds no certificate");
            if (key == null) throw new IllegalArgumentException(keyFile + " holds no private key");
            return SiteIdentity.of(key, chain);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the site's key or certificate (" + chainFile + ", " + keyFile + "): "
                    + e.getMessage(), e);
        }
    }

    // The first HTTPS connector of the context's service.
    static SiteIdentity fromConnector(Container context) {
        Container c = context;
        while (c != null && !(c instanceof Engine)) c = c.getParent();
        if (c == null) throw new IllegalArgumentException("the context is not inside an Engine");
        for (Connector connector : ((Engine) c).getService().findConnectors()) {
            if (!"https".equals(connector.getScheme()) && !connector.getSecure()) continue;
            for (SSLHostConfig host : connector.findSslHostConfigs()) {
                for (SSLHostConfigCertificate cert : host.getCertificates()) {
                    if (cert.getCertificateFile() == null || cert.getCertificateKeyFile() == null)
                        throw new IllegalArgumentException("the HTTPS connector's certificate is in a keystore: set the "
                                + "CardboundAuthenticator's siteCertificate and siteKey (PEM files)");
                    return fromFiles(cert.getCertificateFile(), cert.getCertificateChainFile(), cert.getCertificateKeyFile(),
                            cert.getCertificateKeyPassword());
                }
            }
        }
        throw new IllegalArgumentException("no HTTPS connector with a certificate: set the CardboundAuthenticator's "
                + "siteCertificate and siteKey (PEM files)");
    }

    // As Tomcat reads its own: relative to catalina.base.
    private static String absolute(String file) {
        File f = new File(file);
        if (f.isAbsolute()) return file;
        return new File(System.getProperty("catalina.base", "."), file).getPath();
    }
}
