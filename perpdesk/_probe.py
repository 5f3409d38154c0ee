from perpdesk.core.numbers import X
