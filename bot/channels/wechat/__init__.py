"""The WeChat channels: the Official Account (公众号, users `wx:<openid>`) and the WeCom app
(企业微信, members `wecom:<userid>`). Both are callbacks on the one HTTP server (bot/httpserver.py):
signed (and AES-encrypted) XML in, a passive XML reply out within WeChat's 5 seconds, the rest
through the message API via the outbox. See docs/wechat.md for the 5-second rule and retries."""
